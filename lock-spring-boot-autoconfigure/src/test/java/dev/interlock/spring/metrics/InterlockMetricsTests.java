package dev.interlock.spring.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.interlock.HeldLock;
import dev.interlock.Manager;
import dev.interlock.file.FileLockManager;
import dev.interlock.memory.InMemoryManager;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tests for {@link InterlockMetrics}.
 *
 * @author Interlock team
 */
class InterlockMetricsTests {

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    private final RecoveryCounter recoveries = new RecoveryCounter();

    @TempDir
    private Path temp;

    @Test
    void gaugesShouldFollowTheManager() {
        try (Manager manager = InMemoryManager.create(10)) {
            new InterlockMetrics(manager, "memory", recoveries).bindTo(registry);
            manager.allocateLock();
            manager.allocateLock().lock();
            assertThat(gauge(InterlockMetrics.LOCKS_ALLOCATED)).isEqualTo(2);
            assertThat(gauge(InterlockMetrics.LOCKS_FREE)).isEqualTo(8);
            assertThat(gauge(InterlockMetrics.LOCKS_HELD)).isEqualTo(1);
            assertThat(registry.get(InterlockMetrics.LOCKS_HELD).gauge().getId().getBaseUnit())
                    .isEqualTo("locks");
            manager.retrieveLock(1).unlock();
        }
    }

    @Test
    void closedManagerShouldReadNaNInsteadOfFailingTheScrape() {
        Manager manager = InMemoryManager.create(10);
        new InterlockMetrics(manager, "memory", recoveries).bindTo(registry);
        manager.close();
        assertThat(gauge(InterlockMetrics.LOCKS_ALLOCATED)).isNaN();
        assertThat(gauge(InterlockMetrics.LOCKS_HELD)).isNaN();
    }

    @Test
    @EnabledOnOs(OS.LINUX)
    void backendWithoutLockLimitShouldHaveNoFreeGauge() {
        try (Manager manager = FileLockManager.create(temp.resolve("locks"))) {
            new InterlockMetrics(manager, "file", recoveries).bindTo(registry);
            assertThat(registry.find(InterlockMetrics.LOCKS_FREE).gauge()).isNull();
            assertThat(registry.get(InterlockMetrics.LOCKS_ALLOCATED)
                            .tag("backend", "file")
                            .gauge())
                    .isNotNull();
        }
    }

    @Test
    void recoveriesShouldBeCounted() {
        try (Manager manager = InMemoryManager.create(10)) {
            new InterlockMetrics(manager, "memory", recoveries).bindTo(registry);
            recoveries.lockRecovered(new HeldLock(3, Optional.empty(), OptionalLong.of(42), Optional.empty()));
            assertThat(registry.get(InterlockMetrics.LOCK_RECOVERIES)
                            .tag("backend", "memory")
                            .functionCounter()
                            .count())
                    .isEqualTo(1);
        }
    }

    private double gauge(String name) {
        return registry.get(name).tag("backend", "memory").gauge().value();
    }
}
