package dev.interlock;

import java.util.OptionalInt;

/**
 * Thrown when a lock ID is negative or beyond the capacity of the lock storage.
 *
 * @author Interlock team
 * @since 0.1.0
 */
public class InvalidLockIdException extends LockException {

    private static final long serialVersionUID = 1L;

    /** The rejected ID. */
    private final int id;

    /**
     * The storage's lock count, or {@code -1} when the storage has no fixed limit (a plain int:
     * {@code OptionalInt} is not serializable).
     */
    private final int numLocks;

    /**
     * Creates an exception for an ID that is outside {@code 0 .. numLocks - 1}.
     *
     * @param id the rejected ID
     * @param numLocks the storage's lock count, or empty when it has no fixed limit
     */
    public InvalidLockIdException(int id, OptionalInt numLocks) {
        super(message(id, numLocks));
        this.id = id;
        this.numLocks = numLocks.orElse(-1);
    }

    private static String message(int id, OptionalInt numLocks) {
        String range = numLocks.isPresent()
                ? "0 to " + (numLocks.getAsInt() - 1) + " (this storage has " + numLocks.getAsInt() + " locks)"
                : "0 to " + Integer.MAX_VALUE;
        return "Lock ID " + id + " is out of range: valid IDs are " + range
                + "; use an ID returned by allocateLock() or namedLock()";
    }

    /**
     * Returns the rejected ID.
     *
     * @return the ID
     */
    public int id() {
        return id;
    }

    /**
     * Returns the storage's lock count.
     *
     * @return the lock count, or empty when the storage has no fixed limit
     */
    public OptionalInt numLocks() {
        return numLocks < 0 ? OptionalInt.empty() : OptionalInt.of(numLocks);
    }
}
