package dev.interlock.shm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.interlock.testing.ChildJvm;
import dev.interlock.testing.CounterWorker;
import dev.interlock.testing.Jdks;
import dev.interlock.testing.SegmentNames;
import dev.interlock.testing.SharedCounter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tests for {@link SHMLockManager} with virtual threads. The test JVM may be Java 17, so the
 * virtual threads run in a child JVM of a JDK 21+ ({@link Jdks#atLeast}); without one the test is
 * skipped.
 *
 * @author Interlock team
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SHMLockManagerVirtualThreadTests {

    private static final Duration WAIT = Duration.ofSeconds(100);

    private final String segment = SegmentNames.unique("virtual");

    @TempDir
    Path counters;

    @AfterEach
    void unlinkSegment() {
        SHMLockManager.unlink(segment);
    }

    @Test
    void tenThousandVirtualThreadsOnTwoCarriersShouldCompleteWhileAnotherProcessContends() {
        Optional<Path> jdk = Jdks.atLeast(21);
        assumeThat(jdk).as("a JDK 21+ for virtual threads").isPresent();
        try (SHMLockManager manager = SHMLockManager.create(segment, ShmOpener.NUM_LOCKS);
                ChildJvm virtualThreads = ChildJvm.builder(VirtualThreadWorker.class)
                        .javaHome(jdk.get())
                        .jvmArgs("-Djdk.virtualThreadScheduler.parallelism=2", "--enable-native-access=ALL-UNNAMED")
                        .args(segment, counters.toString(), "10000", "3", "64")
                        .start();
                ChildJvm platformThreads = ChildJvm.start(
                        CounterWorker.class,
                        ShmOpener.class.getName(),
                        segment,
                        "2",
                        "2000",
                        "64",
                        counters.toString())) {
            String done = virtualThreads.awaitSuccess(WAIT);
            platformThreads.awaitSuccess(WAIT);
            System.out.println("Virtual-thread child: "
                    + done.lines()
                            .filter(line -> line.startsWith("DONE"))
                            .findFirst()
                            .orElseThrow());
            long total = 0;
            for (int id = 0; id < 64; id++) {
                total += new SharedCounter(counters.resolve("counter-" + id)).get();
            }
            assertThat(total).isEqualTo(10_000L * 3 + 2L * 2000);
            assertThat(manager.locksHeld()).isEmpty();
        }
    }
}
