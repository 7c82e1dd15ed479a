package dev.interlock;

/**
 * Root of every exception Interlock throws for a failed lock operation. Subclasses carry the
 * values involved as fields, and every message says what happened and what to do next.
 *
 * @author Interlock team
 * @since 0.1.0
 */
public class LockException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates an exception with the given message.
     *
     * @param message what happened and what to do next
     */
    public LockException(String message) {
        super(message);
    }

    /**
     * Creates an exception with the given message and cause.
     *
     * @param message what happened and what to do next
     * @param cause the underlying failure
     */
    public LockException(String message, Throwable cause) {
        super(message, cause);
    }
}
