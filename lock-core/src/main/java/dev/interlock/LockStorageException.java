package dev.interlock;

/**
 * Thrown when lock storage is incompatible, corrupt or inaccessible: a shared-memory segment with
 * another layout or lock count, a directory that is not a lock directory, missing permissions.
 *
 * @author Interlock team
 * @since 0.1.0
 */
public class LockStorageException extends LockException {

    private static final long serialVersionUID = 1L;

    /** The segment name or directory path the failure concerns. */
    private final String location;

    /**
     * Creates an exception for the storage at {@code location}.
     *
     * @param location the segment name or directory path
     * @param message what is wrong with it and what to do
     */
    public LockStorageException(String location, String message) {
        super(message);
        this.location = location;
    }

    /**
     * Creates an exception for the storage at {@code location} with an underlying cause.
     *
     * @param location the segment name or directory path
     * @param message what is wrong with it and what to do
     * @param cause the underlying failure
     */
    public LockStorageException(String location, String message, Throwable cause) {
        super(message, cause);
        this.location = location;
    }

    /**
     * Returns the storage the failure concerns.
     *
     * @return the segment name or directory path
     */
    public String location() {
        return location;
    }
}
