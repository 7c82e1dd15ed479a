package dev.interlock.postgresql;

/**
 * The state of a {@link PostgresLockManager}'s holder session, the one server session that holds
 * every lock of the manager; in the spirit of Curator's {@code ConnectionState}. A {@link
 * SessionStateListener} hears every transition.
 *
 * <pre>
 *   CONNECTING ──► HEALTHY ◄──► SUSPECT
 *        ▲            │            │
 *        │            ▼            ▼
 *        └─────────  LOST  ◄───────┘          (any) ──► CLOSED
 * </pre>
 *
 * @author Interlock team
 * @since 0.2.0
 */
public enum SessionState {

    /** A holder session is being opened; no lock is held. */
    CONNECTING,

    /** The holder session answered within the heartbeat interval; its holds are in force. */
    HEALTHY,

    /**
     * The holder session has not answered for more than two heartbeat intervals. Its holds are
     * still in force (the server cannot have ended the session yet), but they are lost unless it
     * answers before the client-side lease runs out.
     */
    SUSPECT,

    /**
     * The holder session ended or was given up: every hold it carried was reported lost. The
     * manager opens a new session in the background and for the next acquisition; holds of the
     * lost session are never carried over.
     */
    LOST,

    /** The manager was closed. */
    CLOSED
}
