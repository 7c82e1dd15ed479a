package dev.interlock;

/**
 * Thrown when a backend that calls the C library through JNA (the shared-memory backend, and the
 * file backend's native locking) cannot load JNA's native part, before it touches any storage.
 * The message names the cause and the remedies: a temporary directory mounted {@code noexec}, a
 * JDK that blocks native access, or a backend that needs no native code.
 *
 * @author Interlock team
 * @since 0.2.0
 */
public class NativeAccessException extends LockException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates an exception for a failed load of JNA's native part.
     *
     * @param message what failed and what to do
     * @param cause the error JNA or the JDK reported
     */
    public NativeAccessException(String message, Throwable cause) {
        super(message, cause);
    }
}
