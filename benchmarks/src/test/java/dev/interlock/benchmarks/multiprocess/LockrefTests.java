package dev.interlock.benchmarks.multiprocess;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tests for the C reference {@code src/main/c/lockref.c}: it speaks the children's protocol and
 * reports in {@link HammerResult}'s format. Skipped where {@code gcc} is missing, as run.sh skips
 * the C reference there.
 *
 * @author Interlock team
 */
class LockrefTests {

    @TempDir
    static Path dir;

    private static Path lockref;

    @BeforeAll
    static void compile() throws IOException, InterruptedException {
        lockref = dir.resolve("lockref");
        Process gcc;
        try {
            gcc = new ProcessBuilder("gcc", "-O2", "-pthread", "-o", lockref.toString(), "src/main/c/lockref.c", "-lrt")
                    .redirectErrorStream(true)
                    .start();
        } catch (IOException ex) {
            assumeTrue(false, "gcc is not installed: " + ex.getMessage());
            return;
        }
        String output = new String(gcc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(gcc.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(gcc.exitValue()).as(output).isZero();
    }

    @Test
    void pthreadWithTwoProcessesShouldReportEveryPair() throws Exception {
        String segment = "/interlock-bench-test-" + ProcessHandle.current().pid();
        run("init", segment);
        try {
            List<HammerResult> results = hammer("pthread", segment, 2);
            assertThat(results).allSatisfy(result -> {
                assertThat(result.pairs()).isPositive();
                assertThat(result.waits().count()).isEqualTo(result.pairs());
                assertThat(result.elapsedNanos())
                        .isGreaterThanOrEqualTo(Duration.ofMillis(50).toNanos());
            });
        } finally {
            run("unlink", segment);
        }
        assertThat(Path.of("/dev/shm", segment.substring(1))).doesNotExist();
    }

    @Test
    void fcntlShouldReportEveryPair() throws Exception {
        List<HammerResult> results = hammer("fcntl", dir.resolve("fcntl.lock").toString(), 1);
        assertThat(results.get(0).pairs()).isPositive();
        assertThat(results.get(0).waits().count()).isEqualTo(results.get(0).pairs());
    }

    private static List<HammerResult> hammer(String mode, String target, int processes) throws Exception {
        List<ChildProcess> children = new ArrayList<>();
        try {
            for (int i = 0; i < processes; i++) {
                children.add(ChildProcess.start(
                        List.of(lockref.toString(), mode, target, "1", "50"), dir.resolve("children.log")));
            }
            for (ChildProcess child : children) {
                child.expect("PREPARED", Duration.ofSeconds(10));
            }
            children.forEach(child -> child.send("GO"));
            List<HammerResult> results = new ArrayList<>();
            for (ChildProcess child : children) {
                results.add(HammerResult.parse(child.expect(HammerResult.PREFIX, Duration.ofSeconds(10))));
            }
            return results;
        } finally {
            for (ChildProcess child : children) {
                child.close();
            }
        }
    }

    private static void run(String command, String segment) throws Exception {
        Process process = new ProcessBuilder(lockref.toString(), command, segment)
                .redirectErrorStream(true)
                .start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(output).isZero();
    }
}
