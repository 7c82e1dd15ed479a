package dev.interlock;

/**
 * Told when a hold ends without its holder releasing it: the backend learned that the lock is no
 * longer exclusive to this manager, so another holder may already be inside the critical section.
 * The PostgreSQL backend loses a hold when its server session ends (the server was restarted, the
 * session was terminated, or the network between them was cut for longer than the configured
 * bound); the single-host backends never lose a hold while their manager is open.
 *
 * <p>Called once per lost hold, never for a hold that ended by {@link Locker#unlock()} or {@link
 * LockHandle#close()}. From the moment of the call, {@link LockHandle#isValid()} of the hold is
 * {@code false} and the lock is not re-acquired behind the holder's back. Writes the holder still
 * makes are stopped only by the protected resource checking the {@link LostLock#fencingToken()
 * fencing token}. The holder still ends the hold as usual: {@link Locker#unlock()} or {@link
 * LockHandle#close()} of a lost hold only clears this manager's record of it and does not throw.
 *
 * <p>Called on a thread of the backend: keep it short, and do not lock or unlock Interlock locks
 * from it.
 *
 * @author Interlock team
 * @since 0.2.0
 */
@FunctionalInterface
public interface LockLostListener {

    /** A listener that ignores every lost hold. */
    LockLostListener NONE = lost -> {};

    /**
     * Called once per lost hold.
     *
     * @param lost the lock, its name, the hold's fencing token and why it was lost
     */
    void lockLost(LostLock lost);
}
