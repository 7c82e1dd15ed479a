package dev.interlock.shm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.interlock.testing.ChildJvm;
import dev.interlock.testing.Jdks;
import dev.interlock.testing.SegmentNames;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Tests of how the uncontended path reaches the lock words on JDK 24 and later, where {@code
 * sun.misc.Unsafe}'s memory access prints a warning unless the JVM allows it (JEP 498): Interlock
 * must never cause that warning, and must take the faster Unsafe path when it is allowed. Run in a
 * child JVM of a JDK 24+ ({@link Jdks#atLeast}); skipped without one.
 *
 * @author Interlock team
 */
class ShmSegmentAccessTests {

    private static final Duration WAIT = Duration.ofSeconds(60);

    private final String segment = SegmentNames.unique("access");

    @AfterEach
    void unlinkSegment() {
        SHMLockManager.unlink(segment);
    }

    @Test
    void onJdk24AndLaterTheViewsShouldServeWithoutUnsafesWarning() {
        String output = runChild();

        assertThat(output).contains("THROUGH_UNSAFE false").doesNotContain("sun.misc.Unsafe");
    }

    @Test
    void onJdk24AndLaterAllowingUnsafesMemoryAccessShouldSelectItQuietly() {
        String output = runChild("--sun-misc-unsafe-memory-access=allow");

        assertThat(output).contains("THROUGH_UNSAFE true").doesNotContain("sun.misc.Unsafe");
    }

    @Test
    void onJdk24AndLaterDenyingUnsafesMemoryAccessShouldLeaveTheViewsServing() {
        String output = runChild("--sun-misc-unsafe-memory-access=deny");

        assertThat(output).contains("THROUGH_UNSAFE false").doesNotContain("sun.misc.Unsafe");
    }

    private String runChild(String... extraJvmArgs) {
        Optional<Path> jdk = Jdks.atLeast(24);
        assumeThat(jdk).as("a JDK 24+, where Unsafe's memory access warns").isPresent();
        List<String> jvmArgs = new ArrayList<>(List.of("--enable-native-access=ALL-UNNAMED"));
        jvmArgs.addAll(List.of(extraJvmArgs));
        try (SHMLockManager creator = SHMLockManager.create(segment, ShmOpener.NUM_LOCKS);
                ChildJvm child = ChildJvm.builder(ShmAccessChild.class)
                        .javaHome(jdk.get())
                        .jvmArgs(jvmArgs.toArray(String[]::new))
                        .args(segment)
                        .start()) {
            String output = child.awaitSuccess(WAIT);
            assertThat(creator.locksHeld())
                    .as("the child's lock after it exited")
                    .isEmpty();
            return output;
        }
    }
}
