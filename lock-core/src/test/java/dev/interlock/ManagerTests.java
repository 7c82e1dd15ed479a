package dev.interlock;

import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

import java.util.List;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

/**
 * Tests for {@link Manager}'s default methods, through an implementation written before they
 * existed.
 *
 * @author Interlock team
 */
class ManagerTests {

    @Test
    void lockNamesWhenNotImplementedShouldSayWhoAndWhatToDo() {
        assertThatExceptionOfType(UnsupportedOperationException.class)
                .isThrownBy(() -> new ManagerWithoutLockNames().lockNames())
                .withMessage(ManagerWithoutLockNames.class.getName()
                        + " cannot list its lock names: it does not implement Manager.lockNames(); implement it,"
                        + " or look up a name with namedLock(name), which allocates the name if it is not bound");
    }

    /** A third-party manager that implements only the methods every manager had before lockNames(). */
    private static final class ManagerWithoutLockNames implements Manager {

        @Override
        public Locker allocateLock() {
            throw new AssertionError("not called");
        }

        @Override
        public Locker retrieveLock(int id) {
            throw new AssertionError("not called");
        }

        @Override
        public Locker allocateAndRetrieveLock(int id) {
            throw new AssertionError("not called");
        }

        @Override
        public void freeAllLocks() {
            throw new AssertionError("not called");
        }

        @Override
        public OptionalInt availableLocks() {
            throw new AssertionError("not called");
        }

        @Override
        public int allocatedLocks() {
            throw new AssertionError("not called");
        }

        @Override
        public List<HeldLock> locksHeld() {
            throw new AssertionError("not called");
        }

        @Override
        public Locker namedLock(String name) {
            throw new AssertionError("not called");
        }

        @Override
        public void close() {
            // Nothing to release.
        }
    }
}
