package dev.interlock.benchmarks.multiprocess;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tests for {@link MultiProcessBenchmark}: one short round through real child JVMs, in-memory
 * locks in one process and a shared-memory segment across two.
 *
 * @author Interlock team
 */
class MultiProcessBenchmarkTests {

    @Test
    void mainShouldRecordEverySubjectOfEveryRoundButTheWarmUp(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("rounds.tsv");
        MultiProcessBenchmark.main(new String[] {
            "--rounds", "1",
            "--duration-ms", "30",
            "--processes", "1,2",
            "--threads", "1",
            "--backends", "MEMORY,SHM",
            "--out", out.toString(),
            "--log", dir.resolve("children.log").toString()
        });
        List<String> lines = Files.readAllLines(out, StandardCharsets.UTF_8);
        assertThat(lines.get(0)).isEqualTo(RoundRecord.HEADER);
        List<RoundRecord> records =
                lines.subList(1, lines.size()).stream().map(RoundRecord::parse).toList();
        assertThat(records)
                .extracting(r -> r.round() + " " + r.subject() + " " + r.pattern() + " " + r.processes())
                .containsExactly(
                        "1 MEMORY ONE 1",
                        "1 MEMORY MANY 1",
                        "1 SHM ONE 1",
                        "1 SHM MANY 1",
                        "1 SHM ONE 2",
                        "1 SHM MANY 2");
        assertThat(records).allSatisfy(r -> assertThat(r.pairsPerSecond()).isPositive());
        try (Stream<Path> segments = Files.list(Path.of("/dev/shm"))) {
            assertThat(segments.map(p -> p.getFileName().toString()))
                    .as("segments left behind")
                    .noneMatch(name -> name.startsWith(
                            "interlock-bench-" + ProcessHandle.current().pid() + "-"));
        }
    }

    @Test
    void mainWithPostgresSubjectsShouldRunEachAcrossProcessesAndLeaveNoLockSpace(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("pg.tsv");
        MultiProcessBenchmark.main(new String[] {
            "--rounds", "1",
            "--duration-ms", "100",
            "--processes", "2",
            "--threads", "1",
            "--patterns", "ONE",
            "--backends", "",
            "--postgres", "POSTGRESQL,JDBC_LOCK_REGISTRY,SHEDLOCK",
            "--out", out.toString(),
            "--log", dir.resolve("children.log").toString()
        });
        List<String> lines = Files.readAllLines(out, StandardCharsets.UTF_8);
        List<RoundRecord> records =
                lines.subList(1, lines.size()).stream().map(RoundRecord::parse).toList();
        assertThat(records)
                .extracting(r -> r.round() + " " + r.subject() + " " + r.pattern() + " " + r.processes())
                .containsExactly("1 POSTGRESQL ONE 2", "1 JDBC_LOCK_REGISTRY ONE 2", "1 SHEDLOCK ONE 2");
        assertThat(records).allSatisfy(r -> assertThat(r.pairsPerSecond()).isPositive());
        List<String> processLines = Files.readAllLines(dir.resolve("pg-processes.tsv"), StandardCharsets.UTF_8);
        assertThat(processLines.get(0)).isEqualTo(ProcessRecord.HEADER);
        assertThat(processLines.subList(1, processLines.size()).stream().map(ProcessRecord::parse))
                .extracting(
                        r -> r.subject() + " " + r.process() + " " + (r.waits().count() > 0))
                .containsExactly(
                        "POSTGRESQL 1 true",
                        "POSTGRESQL 2 true",
                        "JDBC_LOCK_REGISTRY 1 true",
                        "JDBC_LOCK_REGISTRY 2 true",
                        "SHEDLOCK 1 true",
                        "SHEDLOCK 2 true");
    }
}
