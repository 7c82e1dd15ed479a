package dev.interlock;

import java.time.Duration;

/**
 * Thrown when a lock could not be acquired within the time the caller allowed.
 *
 * @author Interlock team
 * @since 0.1.0
 */
public class LockTimeoutException extends LockException {

    private static final long serialVersionUID = 1L;

    /** How the lock was named by the caller. */
    private final String lock;

    /** How long the caller waited. */
    private final Duration timeout;

    /**
     * Creates an exception for a lock that stayed held by others for the whole timeout.
     *
     * @param lock how the caller names the lock, for example {@code "lock 7"} or {@code
     *     "lock 'invoice-42' (ID 3)"}
     * @param timeout how long the caller waited
     */
    public LockTimeoutException(String lock, Duration timeout) {
        super("Timed out after " + timeout.toMillis() + " ms waiting for " + lock
                + ": another holder kept it the whole time; raise the timeout, or find the holder with"
                + " Manager.locksHeld() (or the 'locks' actuator endpoint)");
        this.lock = lock;
        this.timeout = timeout;
    }

    /**
     * Returns how the lock was named by the caller.
     *
     * @return the lock's description
     */
    public String lock() {
        return lock;
    }

    /**
     * Returns how long the caller waited.
     *
     * @return the timeout
     */
    public Duration timeout() {
        return timeout;
    }
}
