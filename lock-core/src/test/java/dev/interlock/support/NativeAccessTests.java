package dev.interlock.support;

import static org.assertj.core.api.Assertions.assertThat;

import dev.interlock.shm.SHMLockManager;
import dev.interlock.testing.ChildJvm;
import dev.interlock.testing.SegmentNames;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tests of a JVM that cannot load JNA's native part (as with a {@code noexec} temporary
 * directory; here JNA is told neither to unpack it nor to look for it on the system): the backends
 * that need it refuse with a {@link dev.interlock.NativeAccessException} that names the remedies,
 * before they create any storage, and the file backend's portable mode still works.
 *
 * @author Interlock team
 */
class NativeAccessTests {

    private static final Duration WAIT = Duration.ofSeconds(60);

    private final String segment = SegmentNames.unique("nojna");

    @TempDir
    Path tempDir;

    @AfterEach
    void unlinkSegment() {
        SHMLockManager.unlink(segment);
    }

    @Test
    void backendsNeedingJnaShouldRefuseClearlyBeforeCreatingStorageAndPortableLockingShouldStillWork() {
        Path nativeDir = tempDir.resolve("native");
        Path portableDir = tempDir.resolve("portable");
        String output;
        try (ChildJvm child = ChildJvm.builder(NativeAccessChild.class)
                .jvmArgs("-Djna.nounpack=true", "-Djna.nosys=true")
                .args(segment, nativeDir.toString(), portableDir.toString())
                .start()) {
            output = child.awaitSuccess(WAIT);
        }

        assertThat(output)
                .contains("shm REFUSED The shared-memory lock backend calls the C library through JNA, but JNA's"
                        + " native part could not be loaded (java.lang.UnsatisfiedLinkError")
                .contains("file REFUSED The file lock backend's native locking (flock) calls the C library through"
                        + " JNA, but JNA's native part could not be loaded (java.lang.UnsatisfiedLinkError")
                .contains("-Djna.tmpdir", "--enable-native-access=ALL-UNNAMED", "interlock.file.portable-locking=true")
                .contains("portable LOCKED")
                .doesNotContain("shm LOCKED", "file LOCKED");
        assertThat(Path.of("/dev/shm" + segment)).as("no segment created").doesNotExist();
        assertThat(nativeDir).as("no lock directory created").doesNotExist();
        assertThat(Files.isDirectory(portableDir)).isTrue();
    }
}
