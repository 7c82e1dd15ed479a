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
     * Returns the fencing token of the hold this handle stands for: the value {@link
     * Locker#fencingToken()} returned, or would have returned, during the hold. The guarantee is
     * the one stated there. The token stays readable after the hold ended, so that a holder that
     * {@linkplain #isValid() lost} its lock can still pass it to a resource, which then refuses it.
     *
     * @return the hold's fencing token, positive
     * @throws IllegalMonitorStateException if the hold ended before its token was ever asked for
     *     and the backend draws tokens only on demand (the file backend)
     * @throws LockStorageException if the storage that keeps the tokens cannot be read or written
     * @since 0.2.0
     */
    long fencingToken();

    /**
     * Returns whether this hold is still in force: {@code true} from acquisition until the hold
     * ends because it was released ({@link #close()} or {@link Locker#unlock()}), its manager was
     * closed, or the backend learned that the lock was lost (see {@link LockLostListener}). Once
     * {@code false} it stays {@code false}; a later hold of the same lock gets a handle of its own.
     *
     * <p>A {@code true} answer is no promise about the next instant: a backend that spans hosts
     * can lose a lock without knowing it yet, which is what fencing tokens are for.
     *
     * @return whether the hold is still in force
     * @since 0.2.0
     */
    boolean isValid();

    /**
     * Releases the lock. Closing a handle a second time does nothing.
     *
     * @throws IllegalMonitorStateException if the lock was already released by another call
     */
    @Override
    void close();
}
