package dev.interlock;

/**
 * Thrown when a lock is to be allocated but every lock of the storage is already allocated.
 *
 * @author Interlock team
 * @since 0.1.0
 */
public class LocksExhaustedException extends LockException {

    private static final long serialVersionUID = 1L;

    /** The number of locks, all of them allocated. */
    private final int numLocks;

    /**
     * Creates an exception for storage whose {@code numLocks} locks are all allocated.
     *
     * @param numLocks the storage's lock count
     * @param howToRaise where the lock count is configured, for example {@code
     *     "interlock.shm.num-locks"}
     */
    public LocksExhaustedException(int numLocks, String howToRaise) {
        super("All " + numLocks + " locks are allocated, so no lock is left to allocate: raise the lock count ("
                + howToRaise + ") or free locks that are no longer needed with Locker.free()");
        this.numLocks = numLocks;
    }

    /**
     * Returns the storage's lock count.
     *
     * @return the number of locks, all of them allocated
     */
    public int numLocks() {
        return numLocks;
    }
}
