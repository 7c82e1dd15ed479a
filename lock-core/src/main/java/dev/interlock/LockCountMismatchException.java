package dev.interlock;

/**
 * Thrown when existing lock storage was created with a different lock count than the one
 * requested. Podman users meet this as a bare "numerical result out of range"; here the message
 * carries both counts and the way out.
 *
 * @author Interlock team
 * @since 0.1.0
 */
public class LockCountMismatchException extends LockStorageException {

    private static final long serialVersionUID = 1L;

    /** The lock count that was asked for, after rounding. */
    private final int requested;

    /** The lock count the storage was created with. */
    private final int actual;

    /**
     * Creates an exception for storage at {@code location} that holds {@code actual} locks when
     * {@code requested} were asked for.
     *
     * @param location the segment name or directory path
     * @param requested the lock count asked for, after rounding
     * @param actual the lock count the storage was created with
     * @param remedy what to do, for example how to remove the storage when no process uses it
     */
    public LockCountMismatchException(String location, int requested, int actual, String remedy) {
        super(
                location,
                "Lock storage " + location + " was created with " + actual + " locks, but " + requested
                        + " were requested: " + remedy);
        this.requested = requested;
        this.actual = actual;
    }

    /**
     * Returns the lock count that was asked for.
     *
     * @return the requested lock count, after rounding
     */
    public int requested() {
        return requested;
    }

    /**
     * Returns the lock count the storage was created with.
     *
     * @return the existing lock count
     */
    public int actual() {
        return actual;
    }
}
