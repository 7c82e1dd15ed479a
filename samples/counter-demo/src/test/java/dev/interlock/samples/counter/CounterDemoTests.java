package dev.interlock.samples.counter;

import static org.assertj.core.api.Assertions.assertThat;

import dev.interlock.testing.ChildJvm;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tests for {@link CounterDemoApplication}'s job, run end to end in a child JVM as the README's
 * demo command runs it: real worker processes, a real {@code SIGKILL}, the real exit code.
 *
 * @author Interlock team
 */
class CounterDemoTests {

    /** Starting five Spring Boot JVMs on a busy 2-core machine is the slow part. */
    private static final Duration JOB_LIMIT = Duration.ofSeconds(120);

    private static final Pattern COUNT =
            Pattern.compile("  count: +expected ([0-9,]+) \\(.*\\), actual ([0-9,]+): (exact|WRONG.*)");

    @TempDir
    Path workDir;

    @Test
    void jobWithMemoryBackendShouldSayPlainlyThatItCannotCoordinateProcesses() {
        String output = runJob(
                "--interlock.backend=memory",
                "--demo.workers=2",
                "--demo.increments=200",
                "--demo.work-dir=" + workDir);

        assertThat(output)
                .contains("the in-memory backend keeps its locks inside one JVM: it cannot coordinate")
                .contains("  recovery:   not measured: with the in-memory backend no other process ever waited");
        Matcher count = countLine(output);
        boolean exact = count.group(3).equals("exact");
        assertThat(lastExitCode)
                .as("exit code of a run whose count line says %s", count.group(3))
                .isEqualTo(exact ? DemoJob.EXACT : DemoJob.WRONG);
        if (!exact) {
            assertThat(output).contains("The count is wrong because the in-memory backend cannot coordinate processes");
        }
    }

    private int lastExitCode = -1;

    private String runJob(String... args) {
        try (ChildJvm job = ChildJvm.start(CounterDemoApplication.class, args)) {
            lastExitCode = job.awaitExit(JOB_LIMIT);
            return job.output();
        }
    }

    private static Matcher countLine(String output) {
        Matcher matcher = COUNT.matcher(output);
        assertThat(matcher.find()).as("a count line in:%n%s", output).isTrue();
        return matcher;
    }
}
