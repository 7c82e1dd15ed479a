package dev.interlock;

/**
 * Thrown when code that needed a lock to be exclusive learns that the hold was lost while it ran:
 * for example by a {@code @WithLock} method whose lock was lost before the method returned. The
 * work done under the lost hold may have overlapped with another holder's.
 *
 * @author Interlock team
 * @since 0.2.0
 */
public class LockLostException extends LockException {

    private static final long serialVersionUID = 1L;

    private final transient LostLock lost;

    /**
     * Creates the exception for a lost hold.
     *
     * @param lost the lost hold
     * @param message what ran under the lost hold and what to do next
     */
    public LockLostException(LostLock lost, String message) {
        super(message);
        this.lost = lost;
    }

    /**
     * Returns the lost hold.
     *
     * @return the lock's ID, name, fencing token and the reason it was lost
     */
    public LostLock lost() {
        return lost;
    }
}
