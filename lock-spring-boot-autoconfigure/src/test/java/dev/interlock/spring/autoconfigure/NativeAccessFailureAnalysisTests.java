package dev.interlock.spring.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import dev.interlock.shm.SHMLockManager;
import dev.interlock.testing.ChildJvm;
import dev.interlock.testing.SegmentNames;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tests that an application whose JVM cannot load JNA's native part (as with a {@code noexec}
 * temporary directory; here JNA is told neither to unpack it nor to look for it on the system)
 * fails to start with Interlock's report, and starts with portable file locking, which needs no
 * native code. A real application in a child JVM, since the test JVM has loaded JNA long ago.
 *
 * @author Interlock team
 */
class NativeAccessFailureAnalysisTests {

    private static final Duration WAIT = Duration.ofSeconds(90);

    private final String segment = SegmentNames.unique("nojna");

    @AfterEach
    void unlinkSegment() {
        SHMLockManager.unlink(segment);
    }

    @Test
    void shmBackendWithoutJnaShouldPrintInterlocksReport() {
        try (ChildJvm child = startWithoutJna("--interlock.backend=shm", "--interlock.shm.path=" + segment)) {
            assertThat(child.awaitExit(WAIT)).as("exit code").isNotZero();
            assertThat(child.output())
                    .contains("Interlock cannot start its lock backend: it calls the C library through JNA, whose"
                            + " native part could not be loaded (java.lang.UnsatisfiedLinkError")
                    .contains("Let JNA load: start the JVM with -Djna.tmpdir pointing at a directory where files may"
                            + " be executed")
                    .contains("set interlock.backend=file and interlock.file.portable-locking=true");
        }
        assertThat(Path.of("/dev/shm" + segment)).as("no segment created").doesNotExist();
    }

    @Test
    void portableFileLockingShouldStartWithoutJna(@TempDir Path dir) {
        try (ChildJvm child = startWithoutJna(
                "--interlock.backend=file",
                "--interlock.file.portable-locking=true",
                "--interlock.file.directory=" + dir.resolve("locks"))) {
            assertThat(child.awaitExit(WAIT))
                    .as("exit code; output:%n%s", child.output())
                    .isZero();
        }
        assertThat(dir.resolve("locks"))
                .as("the lock directory the file manager created")
                .isDirectory();
    }

    private static ChildJvm startWithoutJna(String... args) {
        return ChildJvm.builder(NativeAccessFailureApplication.class)
                .jvmArgs("-Djna.nounpack=true", "-Djna.nosys=true")
                .args(args)
                .start();
    }
}
