package dev.interlock;

/**
 * Thrown when lock storage may not be used by this process: the operating system denies access,
 * or the storage belongs to another user or is writable by others, so that another local user
 * could hold or corrupt every lock.
 *
 * @author Interlock team
 * @since 0.1.0
 */
public class LockStorageAccessException extends LockStorageException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates an exception for storage at {@code location}.
     *
     * @param location the segment name or directory path
     * @param message what is wrong (owner, mode, the permission denied) and what to do
     */
    public LockStorageAccessException(String location, String message) {
        super(location, message);
    }

    /**
     * Creates an exception for storage at {@code location} with an underlying cause.
     *
     * @param location the segment name or directory path
     * @param message what is wrong (owner, mode, the permission denied) and what to do
     * @param cause the underlying failure
     */
    public LockStorageAccessException(String location, String message, Throwable cause) {
        super(location, message, cause);
    }
}
