package dev.interlock.benchmarks.report;

import static org.assertj.core.api.Assertions.assertThat;

import dev.interlock.benchmarks.multiprocess.LockPattern;
import dev.interlock.benchmarks.multiprocess.ProcessRecord;
import dev.interlock.benchmarks.multiprocess.RoundRecord;
import dev.interlock.benchmarks.multiprocess.WaitHistogram;
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
 * Tests for {@link PostgresReport}: per-round ratios and target verdicts from hand-made result
 * files.
 *
 * @author Interlock team
 */
class PostgresReportTests {

    private static final String HEADER =
            "\"Benchmark\",\"Mode\",\"Threads\",\"Samples\",\"Score\",\"Score Error (99.9%)\",\"Unit\"";

    @TempDir
    Path dir;

    @Test
    void printShouldJudgeTheUncontendedPairByPerRoundRatiosOfMedianPairs() throws IOException {
        // The server's speed swings between rounds, and a stall inflates one subject's mean at random;
        // the median pairs within each round are what count, the means are shown alongside.
        List<Path> rounds = List.of(
                jmhRound(1, 100_000, 110_000, 120_000, 900_000),
                jmhRound(2, 300_000, 330_000, 400_000, 400_000),
                jmhRound(3, 150_000, 210_000, 200_000, 220_000));
        String report = report(rounds, List.of(), List.of());
        assertThat(report)
                .contains("| bare `pg_advisory_lock` + `pg_advisory_unlock`, one connection | 150.0 [100.0–300.0] |"
                        + " 200.0 [120.0–400.0] |")
                .contains("| ratio, round by round | 1.10× [1.10–1.40] | 1.10× [1.00–7.50] |")
                .contains(
                        "- uncontended lock()+unlock() ≤ 1.2× the bare advisory pair (median pairs): 1.10× — **met**");
    }

    @Test
    void printShouldCompareInterlockWithEachPeerRoundByRound() throws IOException {
        List<RoundRecord> records = new ArrayList<>();
        double[] ours = {6000, 3000, 5000};
        double[] registry = {1000, 500, 1000};
        double[] shedlock = {2000, 1000, 500};
        for (int round = 0; round < 3; round++) {
            records.add(record(round + 1, "POSTGRESQL", ours[round], 2_000_000));
            records.add(record(round + 1, "JDBC_LOCK_REGISTRY", registry[round], 300_000_000));
            records.add(record(round + 1, "SHEDLOCK", shedlock[round], 1_000_000));
        }
        String report = report(List.of(), records, List.of());
        assertThat(report)
                .contains("| Interlock postgresql | 4 × 1 | 5,000 [3,000–6,000] |  | 100.0 µs / 2.0 ms / 9.0 ms |")
                .contains("| Spring Integration JdbcLockRegistry | 4 × 1 | 1,000 [500–1,000] | 6.0× [5.0–6.0] |")
                .contains(
                        "- throughput ≥ 5× Spring Integration JdbcLockRegistry, one lock, 4 processes: 6.0× — **met**")
                .contains("- p99 wait below Spring Integration JdbcLockRegistry's: 2.0 ms vs 300.0 ms — **met**")
                .contains(
                        "- throughput ≥ 5× ShedLock JDBC provider, retry loop, one lock, 4 processes: 3.0× — **missed**")
                .contains("- p99 wait below ShedLock JDBC provider, retry loop's: 2.0 ms vs 1.0 ms — **missed**");
    }

    @Test
    void printShouldShowEachProcessApartSoThatAStarvedProcessShows() throws IOException {
        // Merged, process 2's four 50 ms waits are 1 % of 400 calls: the merged p99 hides them.
        List<RoundRecord> records = List.of(record(1, "POSTGRESQL", 4000, 60_000));
        Files.write(
                ProcessRecord.fileNextTo(dir.resolve("pg-multiprocess.tsv")),
                List.of(
                        ProcessRecord.HEADER,
                        process(1, 1, 300, 396, 60_000, 0, 0).toTsv(),
                        process(1, 2, 100, 96, 60_000, 4, 50_000_000).toTsv()));
        String report = report(List.of(), records, List.of());
        assertThat(report)
                .contains("| Interlock postgresql | 1 | 300 [300–300] | 61.4 µs | 61.4 µs [61.4 µs–61.4 µs] | 61.4 µs |"
                        + " 0.00 % [0.00–0.00] |")
                .contains("| Interlock postgresql | 2 | 100 [100–100] | 61.4 µs | 50.3 ms [50.3 ms–50.3 ms] | 50.3 ms |"
                        + " 4.00 % [4.00–4.00] |");
    }

    @Test
    void printShouldGiveMedianAndMaxOfTheTakeoverTrialsAndSayWhatWasNotMeasured() throws IOException {
        String report = report(List.of(), List.of(), List.of(30L, 9L, 12L, 1500L, 10L));
        assertThat(report)
                .contains("Median **12 ms**, max **1500 ms**; all: [9, 10, 12, 30, 1500] ms.")
                .contains("- every takeover after a holder's kill -9 within 1000 ms: max 1500 ms — **missed**")
                .contains("- uncontended lock()+unlock() ≤ 1.2× the bare advisory pair: **not measured**")
                .contains("No multi-process rounds in")
                .contains(
                        "- throughput ≥ 5× ShedLock JDBC provider, retry loop and a lower p99 wait: **not measured**");
    }

    private String report(List<Path> jmhRounds, List<RoundRecord> records, List<Long> takeover) throws IOException {
        Path multiprocess = dir.resolve("pg-multiprocess.tsv");
        if (!records.isEmpty()) {
            List<String> tsv = new ArrayList<>(List.of(RoundRecord.HEADER));
            records.forEach(r -> tsv.add(r.toTsv()));
            Files.write(multiprocess, tsv);
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PostgresReport.print(
                jmhRounds,
                multiprocess,
                ProcessRecord.fileNextTo(multiprocess),
                takeover,
                "test server",
                Report.Disturbance.UNKNOWN,
                new PrintStream(bytes, true, StandardCharsets.UTF_8));
        return bytes.toString(StandardCharsets.UTF_8);
    }

    private Path jmhRound(int round, double bareMedian, double interlockMedian, double bareMean, double interlockMean)
            throws IOException {
        Path file = dir.resolve("pg-jmh-" + round + ".csv");
        String prefix = "\"dev.interlock.benchmarks.PostgresLockBenchmark.";
        Files.write(
                file,
                List.of(
                        HEADER,
                        prefix + "advisoryPair\",\"sample\",1,9000," + bareMean + ",5000,\"ns/op\"",
                        prefix + "advisoryPair:p0.50\",\"sample\",1,1," + bareMedian + ",NaN,\"ns/op\"",
                        prefix + "advisoryPair:p0.99\",\"sample\",1,1," + 10 * bareMean + ",NaN,\"ns/op\"",
                        prefix + "interlock\",\"sample\",1,9000," + interlockMean + ",5000,\"ns/op\"",
                        prefix + "interlock:p0.50\",\"sample\",1,1," + interlockMedian + ",NaN,\"ns/op\""));
        return file;
    }

    private static ProcessRecord process(
            int round, int process, double pairsPerSecond, int fast, long fastNanos, int slow, long slowNanos) {
        WaitHistogram waits = new WaitHistogram();
        for (int i = 0; i < fast; i++) {
            waits.record(fastNanos);
        }
        for (int i = 0; i < slow; i++) {
            waits.record(slowNanos);
        }
        return new ProcessRecord(round, "POSTGRESQL", LockPattern.ONE, 2, 1, process, pairsPerSecond, waits);
    }

    private static RoundRecord record(int round, String subject, double pairsPerSecond, long p99Nanos) {
        return new RoundRecord(
                round, subject, LockPattern.ONE, 4, 1, pairsPerSecond, 100_000, 100_000, p99Nanos, p99Nanos, 9_000_000);
    }
}
