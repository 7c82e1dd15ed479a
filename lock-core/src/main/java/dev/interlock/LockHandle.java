package dev.interlock;

/**
 * A held lock, released by {@link #close()}; returned by {@link Locker#acquire()} for use in
 * try-with-resources.
 *
 * @author Interlock team
 * @since 0.1.0
 */
public interface LockHandle extends AutoCloseable {

    /**
     * Returns the lock this handle holds.
     *
     * @return the locker
     */
    Locker locker();

    /**
     * Releases the lock. Closing a handle a second time does nothing.
     *
     * @throws IllegalMonitorStateException if the lock was already released by another call
     */
    @Override
    void close();
}
