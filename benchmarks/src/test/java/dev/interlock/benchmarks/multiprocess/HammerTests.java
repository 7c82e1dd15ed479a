package dev.interlock.benchmarks.multiprocess;

import static org.assertj.core.api.Assertions.assertThat;

import dev.interlock.Locker;
import dev.interlock.memory.InMemoryManager;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Tests for {@link Hammer}.
 *
 * @author Interlock team
 */
class HammerTests {

    @Test
    void runShouldCountEveryPairAndTimeEveryLock() throws InterruptedException {
        try (InMemoryManager manager = InMemoryManager.create(4)) {
            Locker shared = manager.allocateLock();
            ContendedLock lock = ContendedLock.of(shared);
            HammerResult result =
                    Hammer.prepare(List.of(lock, lock), Duration.ofMillis(50)).run();
            assertThat(result.pairs()).isPositive();
            assertThat(result.waits().count()).isEqualTo(result.pairs());
            assertThat(result.elapsedNanos())
                    .isGreaterThanOrEqualTo(Duration.ofMillis(50).toNanos());
            assertThat(result.cpuNanos()).isPositive();
            assertThat(shared.tryLock()).as("lock released after the run").isTrue();
            shared.unlock();
        }
    }
}
