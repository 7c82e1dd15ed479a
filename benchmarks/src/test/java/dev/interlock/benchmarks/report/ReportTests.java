package dev.interlock.benchmarks.report;

import static org.assertj.core.api.Assertions.assertThat;

import dev.interlock.benchmarks.multiprocess.LockPattern;
import dev.interlock.benchmarks.multiprocess.RoundRecord;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tests for {@link Report}: ratios and target verdicts computed from hand-made result files.
 *
 * @author Interlock team
 */
class ReportTests {

    private static final String HEADER =
            "\"Benchmark\",\"Mode\",\"Threads\",\"Samples\",\"Score\",\"Score Error (99.9%)\",\"Unit\",\"Param: backend\"";

    @TempDir
    Path dir;

    @Test
    void printShouldCompareEachBackendWithItsBaseline() throws IOException {
        String report = report(List.of(
                jmh("UncontendedLockBenchmark.reentrantLock", 10, ""),
                jmh("UncontendedLockBenchmark.fileChannel", 1000, ""),
                jmh("UncontendedLockBenchmark.interlock", 12, "MEMORY"),
                jmh("UncontendedLockBenchmark.interlock", 1100, "FILE"),
                jmh("UncontendedLockBenchmark.interlock", 25, "SHM"),
                jmh("AllocationBenchmark.allocateAndFree", 150, "SHM"),
                jmh("ContendedLockBenchmark.twoReentrantLocks", 10, ""),
                jmh("ContendedLockBenchmark.twoLocks", 14, "SHM"),
                jmh("ContendedLockBenchmark.twoLocks", 16, "MEMORY"),
                jmh("ContendedLockBenchmark.oneReentrantLockFourThreads", 100, ""),
                jmh("ContendedLockBenchmark.oneLockFourThreads", 140, "SHM")));
        assertThat(report)
                .contains("| lock()+unlock(), 1 thread | MEMORY | 12.0 ± 0.60 | 1.20× ReentrantLock |")
                .contains("- MEMORY uncontended pair ≤ 1.0× ReentrantLock: 1.20× — **missed**")
                .contains("- FILE uncontended pair ≤ 0.7× FileChannel: 1.10× — **missed**")
                .contains("- SHM uncontended pair ≤ 1.0× ReentrantLock: 2.50× — **missed**")
                .contains("- SHM allocation on a nearly full 65,536-lock segment < 1 µs: 150 ns — **met**")
                .contains("- SHM 2 threads, own lock each (IDs 0, 1) ≤ 1.5× ReentrantLock: 1.40× — **met**")
                .contains("- MEMORY 2 threads, own lock each (IDs 0, 1) ≤ 1.5× ReentrantLock: 1.60× — **missed**")
                .contains("- SHM 4 threads, one lock ≤ 1.5× ReentrantLock: 1.40× — **met**")
                .contains("| namedLock(name), 1,000 names bound | SHM | not measured | |");
    }

    @Test
    void printShouldTakeTheMedianOfPerRoundRatiosAgainstTheCReference() throws IOException {
        List<RoundRecord> rounds = new ArrayList<>();
        // The C reference swings between rounds; SHM follows it, so per-round ratios stay near 0.9.
        double[] reference = {10e6, 3e6, 6e6};
        double[] shm = {9e6, 2.7e6, 6e6};
        for (int round = 0; round < 3; round++) {
            rounds.add(record(round + 1, "C_PTHREAD", reference[round]));
            rounds.add(record(round + 1, "SHM", shm[round]));
        }
        String report = report(List.of(), rounds);
        assertThat(report)
                .contains("| SHM | one | 2 × 1 | 6.00 M [2.70 M–9.00 M] | 0.90× [0.90–1.00] C robust pthread mutex |")
                .contains("- 2-process SHM throughput ≥ 1.0× C robust pthread mutex: 0.90× — **missed**")
                .contains("- 2-process SHM CPU per pair ≤ C robust pthread mutex's (100 ns): 100 ns — **met**");
    }

    @Test
    void printWhenOtherProcessesTookCpuShouldSayTheFiguresAreDisturbed() throws IOException {
        int cores = Runtime.getRuntime().availableProcessors();
        String busy = report(List.of(), List.of(), new Report.Disturbance("3.00 2.00 1.00", 100, 20L * cores));
        assertThat(busy)
                .contains("- other processes used " + 20 * cores
                        + " s of CPU during the 100 s run: 20.0 % of the machine")
                .contains("**Other work took 20 % of the cores during the run");
        String quiet = report(List.of(), List.of(), new Report.Disturbance("0.01 0.02 0.03", 100, 0));
        assertThat(quiet).contains("0.0 % of the machine").doesNotContain("**Other work took");
    }

    private String report(List<String> jmhLines) throws IOException {
        return report(jmhLines, List.of());
    }

    private String report(List<String> jmhLines, List<RoundRecord> rounds) throws IOException {
        return report(jmhLines, rounds, Report.Disturbance.UNKNOWN);
    }

    private String report(List<String> jmhLines, List<RoundRecord> rounds, Report.Disturbance disturbance)
            throws IOException {
        Path jmh = dir.resolve("jmh.csv");
        List<String> lines = new ArrayList<>(List.of(HEADER));
        lines.addAll(jmhLines);
        Files.write(jmh, lines);
        Path multiprocess = dir.resolve("multiprocess.tsv");
        List<String> tsv = new ArrayList<>(List.of(RoundRecord.HEADER));
        rounds.forEach(r -> tsv.add(r.toTsv()));
        Files.write(multiprocess, tsv);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Report.print(jmh, multiprocess, disturbance, new PrintStream(bytes, true, StandardCharsets.UTF_8));
        return bytes.toString(StandardCharsets.UTF_8);
    }

    private static String jmh(String benchmark, double score, String backend) {
        return "\"dev.interlock.benchmarks." + benchmark + "\",\"avgt\",1,5," + score + "," + (score / 20)
                + ",\"ns/op\"," + backend;
    }

    private static RoundRecord record(int round, String subject, double pairsPerSecond) {
        return new RoundRecord(round, subject, LockPattern.ONE, 2, 1, pairsPerSecond, 100, 50, 500, 2000, 5000);
    }
}
