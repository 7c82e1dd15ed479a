package dev.interlock;

/**
 * Thrown by {@link Locker#free()} when the lock's ID is not allocated.
 *
 * @author Interlock team
 * @since 0.1.0
 */
public class LockNotAllocatedException extends LockException {

    private static final long serialVersionUID = 1L;

    /** The ID that is not allocated. */
    private final int id;

    /**
     * Creates an exception for an ID that is not allocated.
     *
     * @param id the ID
     */
    public LockNotAllocatedException(int id) {
        super("Lock " + id + " is not allocated, so it cannot be freed: it was never allocated or was already freed"
                + " (possibly by freeAllLocks()); check that each ID is freed exactly once");
        this.id = id;
    }

    /**
     * Returns the ID that is not allocated.
     *
     * @return the ID
     */
    public int id() {
        return id;
    }
}
