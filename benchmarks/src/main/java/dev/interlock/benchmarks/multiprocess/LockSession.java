package dev.interlock.benchmarks.multiprocess;

import dev.interlock.Manager;

/**
 * What one process of a multi-process run holds open while its threads hammer: an Interlock
 * {@link Manager}, or a peer's client (its connection pool and lock registry). Closing it closes
 * them.
 *
 * @author Interlock team
 * @since 0.1.0
 */
public interface LockSession extends AutoCloseable {

    /**
     * Returns lock {@code id} for one thread.
     *
     * @param id the lock ID, as {@link LockPattern#lockIdFor(int)} gives it
     * @return the lock
     */
    ContendedLock lock(int id);

    /** Releases the session's connections and resources. */
    @Override
    void close();

    /**
     * Returns an Interlock manager as a session; its locks are the manager's {@link
     * Manager#retrieveLock(int) retrieved} locks.
     *
     * @param manager the manager, closed with the session
     * @return the session
     */
    static LockSession of(Manager manager) {
        return new LockSession() {
            @Override
            public ContendedLock lock(int id) {
                return ContendedLock.of(manager.retrieveLock(id));
            }

            @Override
            public void close() {
                manager.close();
            }
        };
    }
}
