package dev.interlock.spring.actuate;

import static org.assertj.core.api.Assertions.assertThat;

import dev.interlock.Locker;
import dev.interlock.Manager;
import dev.interlock.file.FileLockManager;
import dev.interlock.memory.InMemoryManager;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;

/**
 * Tests for {@link InterlockHealthIndicator}.
 *
 * @author Interlock team
 */
class InterlockHealthIndicatorTests {

    @TempDir
    private Path temp;

    @Test
    void enoughFreeLocksShouldBeUpWithCapacityFigures() {
        try (Manager manager = InMemoryManager.create(5)) {
            Locker locker = manager.allocateLock();
            locker.lock();
            Health health = new InterlockHealthIndicator(manager, "memory", 1).health();
            locker.unlock();
            assertThat(health.getStatus()).isEqualTo(Status.UP);
            assertThat(health.getDetails())
                    .containsEntry("backend", "memory")
                    .containsEntry("capacity", 5)
                    .containsEntry("allocated", 1)
                    .containsEntry("available", 4)
                    .containsEntry("held", 1)
                    .containsEntry("minAvailable", 1);
        }
    }

    @Test
    void fewerFreeLocksThanTheThresholdShouldBeDownWithTheSameDetails() {
        try (Manager manager = InMemoryManager.create(5)) {
            for (int i = 0; i < 3; i++) {
                manager.allocateLock();
            }
            Health health = new InterlockHealthIndicator(manager, "memory", 3).health();
            assertThat(health.getStatus()).isEqualTo(Status.DOWN);
            assertThat(health.getDetails())
                    .containsEntry("capacity", 5)
                    .containsEntry("available", 2)
                    .containsEntry("minAvailable", 3)
                    .containsKeys("backend", "allocated", "held");
        }
    }

    @Test
    void closedManagerShouldBeDownWithTheError() {
        Manager manager = InMemoryManager.create(5);
        manager.close();
        Health health = new InterlockHealthIndicator(manager, "memory", 1).health();
        assertThat(health.getStatus()).isEqualTo(Status.DOWN);
        assertThat((String) health.getDetails().get("error"))
                .startsWith("dev.interlock.ManagerClosedException: InMemoryManager(5 locks) is closed");
    }

    @Test
    @EnabledOnOs(OS.LINUX)
    void backendWithoutLockLimitShouldBeUpWithoutCapacity() {
        try (Manager manager = FileLockManager.create(temp.resolve("locks"))) {
            Health health = new InterlockHealthIndicator(manager, "file", 1000).health();
            assertThat(health.getStatus()).isEqualTo(Status.UP);
            assertThat(health.getDetails())
                    .containsKeys("backend", "allocated", "held")
                    .doesNotContainKey("capacity");
        }
    }
}
