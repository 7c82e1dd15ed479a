package dev.interlock.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import dev.interlock.Manager;
import dev.interlock.testing.LockManagerContractTests;
import org.junit.jupiter.api.Test;

/**
 * Tests for {@link InMemoryManager}: the whole contract suite plus its own factory rules.
 *
 * @author Interlock team
 */
class InMemoryManagerTests extends LockManagerContractTests {

    @Override
    protected Manager createManager() {
        return InMemoryManager.create(64);
    }

    /**
     * Issue 14's figure: a million distinct names, one after another, on a 2,048-lock storage
     * that also holds a permanent allocation, leave the allocation where it started.
     */
    @Test
    void millionDistinctTemporaryNamesShouldLeaveAllocationWhereItStarted() throws InterruptedException {
        try (InMemoryManager storage = InMemoryManager.create(2048)) {
            storage.allocateLock();
            storage.namedLock("permanent");
            for (int i = 0; i < 1_000_000; i++) {
                storage.lockName("user-" + i).close();
            }
            assertThat(storage.allocatedLocks()).isEqualTo(2);
            assertThat(storage.availableLocks()).hasValue(2046);
            assertThat(storage.allocateLock().id()).isEqualTo(2);
        }
    }

    @Test
    void createWithZeroLocksShouldThrow() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> InMemoryManager.create(0))
                .withMessage("An in-memory manager needs 1 to 16777216 locks, but 0 were requested;"
                        + " pass a lock count in that range");
        assertThatIllegalArgumentException().isThrownBy(() -> InMemoryManager.create(-3));
        assertThatIllegalArgumentException().isThrownBy(() -> InMemoryManager.create(InMemoryManager.MAX_LOCKS + 1));
    }

    @Test
    void createShouldUseExactLockCount() {
        try (InMemoryManager seven = InMemoryManager.create(7)) {
            assertThat(seven.availableLocks()).hasValue(7);
            assertThat(seven).hasToString("InMemoryManager(7 locks)");
        }
    }

    @Test
    void retrieveLockShouldReturnTheSameMutexForAnId() {
        assertThat(manager.retrieveLock(9)).isSameAs(manager.retrieveLock(9)).isInstanceOf(Mutex.class);
    }

    @Test
    void locksHeldShouldReportThisProcessAndNoTimestamp() {
        manager.retrieveLock(4).lock();
        assertThat(manager.locksHeld()).singleElement().satisfies(held -> {
            assertThat(held.ownerPid()).hasValue(ProcessHandle.current().pid());
            assertThat(held.heldSince()).isEmpty();
        });
    }

    @Test
    void twoInMemoryManagersShouldNotShareLocks() {
        try (Manager other = InMemoryManager.create(64)) {
            manager.retrieveLock(0).lock();
            assertThat(other.retrieveLock(0).tryLock()).isTrue();
        }
    }
}
