package dev.interlock.benchmarks.multiprocess;

import dev.interlock.Locker;

/**
 * One lock as a {@link Hammer} thread uses it: a blocking {@link #lock()} and an {@link #unlock()},
 * nothing else. Interlock's {@link Locker}s and the peers compared with them (see {@link
 * PostgresSubject}) implement it each in the way their users lock. An instance is used by one
 * thread at a time; two threads hammering the same lock each get an instance of their own from
 * {@link LockSession#lock(int)}, unless the lock itself is shared between threads (a {@link Locker}).
 *
 * @author Interlock team
 * @since 0.1.0
 */
public interface ContendedLock {

    /** Blocks until the calling thread holds the lock. */
    void lock();

    /** Releases the lock the calling thread holds. */
    void unlock();

    /**
     * Returns an Interlock lock as a contended lock.
     *
     * @param locker the lock
     * @return the same lock behind this interface
     */
    static ContendedLock of(Locker locker) {
        return new ContendedLock() {
            @Override
            public void lock() {
                locker.lock();
            }

            @Override
            public void unlock() {
                locker.unlock();
            }

            @Override
            public String toString() {
                return locker.toString();
            }
        };
    }
}
