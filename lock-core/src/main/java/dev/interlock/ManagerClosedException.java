package dev.interlock;

/**
 * Thrown when a {@link Manager}, or a {@link Locker} obtained from it, is used after the manager
 * was closed.
 *
 * @author Interlock team
 * @since 0.1.0
 */
public class ManagerClosedException extends LockException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates an exception for a closed manager.
     *
     * @param manager a description of the manager, for example {@code "SHMLockManager(/interlock)"}
     */
    public ManagerClosedException(String manager) {
        super(manager + " is closed: its locks were released when it was closed; open a new manager over the"
                + " same storage to keep using them");
    }
}
