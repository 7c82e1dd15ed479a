package dev.interlock.postgresql;

/**
 * Told of every transition of a {@link PostgresLockManager}'s {@link SessionState}, for health
 * checks and metrics. Called on a thread of the backend, in order, never concurrently for one
 * manager: keep it short and do not lock or unlock Interlock locks from it.
 *
 * @author Interlock team
 * @since 0.2.0
 */
@FunctionalInterface
public interface SessionStateListener {

    /** A listener that ignores every transition. */
    SessionStateListener NONE = (previous, current, detail) -> {};

    /**
     * Called once per transition.
     *
     * @param previous the state before
     * @param current the state now
     * @param detail why, in words (for example the server's message when the session ended)
     */
    void stateChanged(SessionState previous, SessionState current, String detail);
}
