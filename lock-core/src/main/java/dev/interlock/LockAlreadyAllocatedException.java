package dev.interlock;

/**
 * Thrown by {@link Manager#allocateAndRetrieveLock(int)} when the ID is already allocated.
 *
 * @author Interlock team
 * @since 0.1.0
 */
public class LockAlreadyAllocatedException extends LockException {

    private static final long serialVersionUID = 1L;

    /** The ID that is already allocated. */
    private final int id;

    /**
     * Creates an exception for an ID that is already allocated.
     *
     * @param id the ID
     */
    public LockAlreadyAllocatedException(int id) {
        super("Lock " + id + " is already allocated: another object owns this ID; use retrieveLock(" + id
                + ") to share it, or free it first if its owner is gone");
        this.id = id;
    }

    /**
     * Returns the ID that is already allocated.
     *
     * @return the ID
     */
    public int id() {
        return id;
    }
}
