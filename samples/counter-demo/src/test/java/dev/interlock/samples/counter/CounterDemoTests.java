package dev.interlock.samples.counter;

import static org.assertj.core.api.Assertions.assertThat;

import dev.interlock.postgresql.PostgresLockManager;
import dev.interlock.shm.SHMLockManager;
import dev.interlock.testing.ChildJvm;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tests for {@link CounterDemoApplication}'s job, run end to end in a child JVM as the README's
 * demo command runs it: real worker processes, a real {@code SIGKILL}, the real exit code. Each
 * test has lock storage of its own, so that it never meets another run's locks.
 *
 * @author Interlock team
 */
class CounterDemoTests {

    /** Starting five Spring Boot JVMs on a busy 2-core machine is the slow part. */
    private static final Duration JOB_LIMIT = Duration.ofSeconds(150);

    private static final Pattern COUNT =
            Pattern.compile("  count: +expected ([0-9,]+) \\(.*\\), actual ([0-9,]+): (exact|WRONG.*)");

    private static final Pattern RECOVERY = Pattern.compile(
            "  recovery: +worker \\d+ \\(pid \\d+\\) got the lock [0-9.]+ m?s after worker 1 \\(pid \\d+\\) was killed"
                    + " holding it.*");

    @TempDir
    Path workDir;

    /** The shared-memory segment of this test, removed afterwards. */
    private final String shmPath = "/interlock-demo-test-" + UUID.randomUUID();

    @AfterEach
    void removeSegment() {
        SHMLockManager.unlink(shmPath);
    }

    @Test
    void jobWithDefaultBackendShouldCountExactlyAndRecoverTheKilledHolder() {
        Job job = runJob();

        assertThat(job.exitCode()).as("exit code; output:%n%s", job.output()).isEqualTo(DemoJob.EXACT);
        assertThat(countLine(job.output()).group(3)).isEqualTo("exact");
        assertThat(job.output())
                .contains("holds the lock: it read")
                .contains("sending SIGKILL")
                .containsPattern(RECOVERY)
                .containsPattern("  throughput: [0-9,]+ increments in ")
                .containsPattern("  lock wait: +p50 .*, p90 .*, p99 .*, max ");
    }

    @Test
    void jobWithFileBackendShouldCountExactly() {
        Job job = runJob("--interlock.backend=file", "--demo.workers=3", "--demo.increments=500");

        assertThat(job.exitCode()).as("exit code; output:%n%s", job.output()).isEqualTo(DemoJob.EXACT);
        assertThat(job.output()).contains("backend:  FileLockManager").containsPattern(RECOVERY);
        Matcher count = countLine(job.output());
        assertThat(count.group(3)).isEqualTo("exact");
        assertThat(count.group(1)).isEqualTo(count.group(2));
    }

    /**
     * The freeze scenario, with real {@code SIGSTOP} and {@code SIGCONT}: on the machine's
     * PostgreSQL ({@code INTERLOCK_TEST_POSTGRES_URL}, else 127.0.0.1:5432 if it answers), or on the
     * embedded one the demo starts itself when no URL is given. What it cannot show: two hosts, and
     * a frozen holder whose pause ends before the session timeout (it keeps its lock then).
     */
    @Test
    void jobWithPostgresqlBackendShouldRefuseTheFrozenHoldersLateWriteAndCountExactly() {
        String url = machinePostgresUrl();
        String space = "counter-demo-test-" + UUID.randomUUID().toString().substring(0, 8);
        List<String> args = new ArrayList<>(List.of(
                "--interlock.backend=postgresql",
                "--interlock.postgresql.lock-space=" + space,
                "--interlock.postgresql.connect-timeout=60s",
                "--demo.workers=3",
                "--demo.increments=300"));
        if (url != null) {
            args.add("--interlock.postgresql.url=" + url);
        }
        try {
            Job job = runJob(args.toArray(String[]::new));

            assertThat(job.exitCode())
                    .as("exit code; output:%n%s", job.output())
                    .isEqualTo(DemoJob.EXACT);
            Matcher count = countLine(job.output());
            assertThat(count.group(1)).isEqualTo("900");
            assertThat(count.group(2)).isEqualTo("900");
            assertThat(count.group(3)).isEqualTo("exact");
            assertThat(job.output())
                    .containsPattern("worker 1 \\(pid \\d+\\) holds the lock with fencing token (\\d+): it read"
                            + " [0-9,]+ and is about to write [0-9,]+; sending SIGSTOP")
                    .contains("the server ended worker 1's silent session and released its lock")
                    .containsPattern("sending SIGCONT to worker 1 \\(pid \\d+\\)")
                    .containsPattern("worker 1's late write of [0-9,]+ with fencing token \\d+ was REFUSED: the"
                            + " counter was last written with token \\d+")
                    .containsPattern("worker 1 learned that it lost the lock \\(token \\d+\\): ")
                    .containsPattern(
                            "  fencing: +worker 1's late write with token \\d+ was refused \\(last token" + " \\d+\\)")
                    .containsPattern("  recovery: +worker \\d+ \\(pid \\d+\\) got the lock [0-9.]+ m?s after"
                            + " worker 1 \\(pid \\d+\\) was frozen holding it");
            if (url == null) {
                assertThat(job.output()).contains("starting an embedded PostgreSQL");
            }
        } finally {
            if (url != null) {
                PostgresLockManager.drop(url, space);
            }
        }
    }

    @Test
    void jobWithMemoryBackendShouldSayPlainlyThatItCannotCoordinateProcesses() {
        Job job = runJob("--interlock.backend=memory", "--demo.workers=2", "--demo.increments=300");

        assertThat(job.output())
                .contains("the in-memory backend keeps its locks inside one JVM: it cannot coordinate")
                .contains("  recovery:   not measured: with the in-memory backend no other process ever waited");
        String verdict = countLine(job.output()).group(3);
        boolean exact = verdict.equals("exact");
        assertThat(job.exitCode())
                .as("exit code of a run whose count is %s", verdict)
                .isEqualTo(exact ? DemoJob.EXACT : DemoJob.WRONG);
        if (!exact) {
            assertThat(job.output())
                    .contains("The count is wrong because the in-memory backend cannot coordinate processes");
        }
    }

    @Test
    void jobShouldGiveUpWithExitCodeTwoAndLeaveNoWorkerBehindWhenTheTimeoutRunsOut() {
        Job job = runJob("--demo.timeout=1ms");

        assertThat(job.exitCode()).as("exit code; output:%n%s", job.output()).isEqualTo(DemoJob.STUCK);
        assertThat(job.output()).contains("gave up after demo.timeout=PT0.001S while the workers were starting");
        Matcher pids = Pattern.compile("\\(pid (\\d+)\\)").matcher(job.output());
        int workers = 0;
        while (pids.find()) {
            workers++;
            assertThat(ProcessHandle.of(Long.parseLong(pids.group(1))).filter(ProcessHandle::isAlive))
                    .as("worker pid %s after the job ended", pids.group(1))
                    .isEmpty();
        }
        assertThat(workers)
                .as("workers named as still running in:%n%s", job.output())
                .isEqualTo(4);
    }

    /** Runs the job with this test's storage and work directory, plus {@code args}. */
    private Job runJob(String... args) {
        List<String> all = new ArrayList<>(List.of(
                "--interlock.shm.path=" + shmPath,
                "--interlock.file.directory=" + workDir.resolve("locks"),
                "--demo.work-dir=" + workDir));
        all.addAll(List.of(args));
        try (ChildJvm job = ChildJvm.start(CounterDemoApplication.class, all.toArray(String[]::new))) {
            int exitCode = job.awaitExit(JOB_LIMIT);
            return new Job(exitCode, job.output());
        }
    }

    /** The machine's PostgreSQL, or {@code null} when there is none (the demo then starts its own). */
    private static @Nullable String machinePostgresUrl() {
        String fromEnv = System.getenv("INTERLOCK_TEST_POSTGRES_URL");
        if (fromEnv != null && !fromEnv.isBlank()) {
            return fromEnv;
        }
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", 5432), 1000);
            return "jdbc:postgresql://127.0.0.1:5432/test?user=postgres";
        } catch (IOException ex) {
            return null;
        }
    }

    private static Matcher countLine(String output) {
        Matcher matcher = COUNT.matcher(output);
        assertThat(matcher.find()).as("a count line in:%n%s", output).isTrue();
        return matcher;
    }

    /** What a finished job left behind. */
    private record Job(int exitCode, String output) {}
}
