package dev.interlock;

/**
 * Told when a backend takes a lock over from a holder that died while holding it (for example a
 * process killed with {@code SIGKILL}). The shared-memory backend reports every recovery here and
 * in a WARN log; the Spring module turns the reports into a metric.
 *
 * <p>Called on the thread that recovered the lock, while it holds the lock: keep it short and do
 * not lock or unlock Interlock locks from it.
 *
 * @author Interlock team
 * @since 0.1.0
 */
@FunctionalInterface
public interface RecoveryListener {

    /** A listener that ignores every recovery. */
    RecoveryListener NONE = deadHolder -> {};

    /**
     * Called once per recovery, after the recovering caller acquired the lock.
     *
     * @param deadHolder what the lock recorded about the dead holder: the lock's ID and name, the
     *     holder's pid and since when it held the lock
     */
    void lockRecovered(HeldLock deadHolder);
}
