package dev.interlock.support;

import dev.interlock.LockHandle;
import dev.interlock.LockNotAllocatedException;
import dev.interlock.Locker;
import dev.interlock.ManagerClosedException;
import java.time.Duration;

/**
 * Base class of every backend's {@link Locker}. It implements the {@code Locker} semantics once:
 * self-deadlock detection, ownership by the manager instance, the uninterruptible and timed
 * variants, and try-with-resources. A backend supplies one timed, interruptible acquisition
 * attempt, a release, and deallocation.
 *
 * <p>For backend implementations in this library; application code uses {@link Locker}.
 *
 * @author Interlock team
 * @since 0.1.0
 */
public abstract class AbstractLocker implements Locker {

    /** Timeout meaning "wait as long as it takes" for {@link #acquire(long)}. */
    protected static final long WAIT_FOREVER = Long.MAX_VALUE;

    /** The notes of a handle whose backend's holder table decides ownership: it keeps none. */
    private static final long[] NO_NOTES = new long[0];

    private final AbstractManager manager;

    private final HolderThreads holders;

    private final int id;

    /** Whether the backend's lock word decides ownership; see the three-argument constructor. */
    private final boolean ownedByWord;

    /**
     * For a lock word backend, the holder table's entries and this lock's slot among them, for the
     * plain notes of {@code lock()} and {@code unlock()}. Held by the handle because the store's
     * address is on the uncontended path: the releasing compare-and-set waits for the note's store,
     * and so for every load its address needs; through the table's fields it took three dependent
     * loads, here one.
     */
    private final long[] notes;

    private final int noteSlot;

    /**
     * Creates a handle for lock {@code id} of {@code manager}.
     *
     * @param manager the manager whose instance will own the lock when it is acquired
     * @param id the lock's ID, already validated
     */
    protected AbstractLocker(AbstractManager manager, int id) {
        this(manager, id, false);
    }

    /**
     * Creates a handle for lock {@code id} of {@code manager}, saying whether the backend's lock
     * word tells by itself whether this manager holds the lock.
     *
     * <p>With {@code ownedByWord}, the backend implements {@link #acquireUncontended()}, {@link
     * #heldHere()} and {@link #releaseIfHeld()}, and the lock word decides ownership: {@code
     * unlock()} is one releasing compare-and-set that fails when this manager does not hold the
     * lock, {@code close()} finds the held locks through {@link AbstractManager#idsHeldHere()}, and
     * the holder table only notes the acquiring thread with plain stores, for the self-deadlock
     * check. The uncontended {@code lock()}+{@code unlock()} pair then costs the backend's two
     * compare-and-sets and no other fence. Without it, the holder table decides ownership with a
     * volatile store at each acquisition and a compare-and-set at each release.
     *
     * @param manager the manager whose instance will own the lock when it is acquired
     * @param id the lock's ID, already validated
     * @param ownedByWord whether the backend's lock word decides ownership
     */
    protected AbstractLocker(AbstractManager manager, int id, boolean ownedByWord) {
        this.manager = manager;
        this.holders = manager.holders();
        this.id = id;
        this.ownedByWord = ownedByWord;
        if (ownedByWord) {
            HolderThreads.Bounded table = holders.asBounded();
            this.notes = table.entries;
            this.noteSlot = table.slot(id);
        } else {
            this.notes = NO_NOTES;
            this.noteSlot = -1;
        }
    }

    @Override
    public final int id() {
        return id;
    }

    @Override
    public final void lock() {
        Thread me = Thread.currentThread();
        if (mustWait(me)) {
            acquireUninterruptibly(me);
        }
        entered(me);
    }

    private void acquireUninterruptibly(Thread me) {
        boolean interrupted = false;
        while (true) {
            try {
                acquire(WAIT_FOREVER);
                break;
            } catch (InterruptedException ex) {
                // lock() is not interruptible: keep waiting and restore the status afterwards.
                interrupted = true;
            }
        }
        if (interrupted) {
            me.interrupt();
        }
    }

    @Override
    public final void lockInterruptibly() throws InterruptedException {
        Thread me = Thread.currentThread();
        if (mustWait(me)) {
            acquire(WAIT_FOREVER);
        }
        entered(me);
    }

    @Override
    public final boolean tryLock() {
        manager.ensureOpen();
        if (!ownedByWord || !acquireUncontended()) {
            try {
                if (!acquire(0)) {
                    return false;
                }
            } catch (InterruptedException ex) {
                throw new IllegalStateException("acquire(0) must not wait, so it cannot be interrupted", ex);
            }
        }
        entered(Thread.currentThread());
        return true;
    }

    @Override
    public final boolean tryLock(Duration timeout) throws InterruptedException {
        manager.ensureOpen();
        long nanos = timeout.isNegative() ? 0 : saturatedNanos(timeout);
        if (!acquire(nanos)) {
            return false;
        }
        entered(Thread.currentThread());
        return true;
    }

    @Override
    public final void unlock() {
        manager.ensureOpen();
        if (ownedByWord) {
            // Cleared before the release: after it, the entry may already be the next holder's.
            notes[noteSlot] = HolderThreads.NONE;
            if (!releaseIfHeld()) {
                manager.ensureOpen(); // close() may have released it meanwhile
                throw notHeld("cannot be unlocked here");
            }
            return;
        }
        long holder = holders.get(id);
        if (holder == HolderThreads.NONE || !holders.clear(id, holder)) {
            manager.ensureOpen(); // close() may have released it meanwhile
            throw notHeld("cannot be unlocked here");
        }
        release();
    }

    /**
     * Ends the hold with {@code stamp} of a temporary name lock: claims the release like {@link
     * #unlock()} does (so that a concurrent {@link AbstractManager#close()} cannot release it
     * too), frees the ID and the name bound to it while the lock is still held, then releases.
     * Freeing is skipped when the backend learned that the hold was lost, since another process
     * may hold the ID and its binding by now.
     *
     * @param stamp the {@link #holdStamp()} of the hold to end
     * @throws IllegalMonitorStateException if that hold is over
     */
    final void unlockFreeing(long stamp) {
        manager.ensureOpen();
        long holder = holders.get(id);
        if (ownedByWord) {
            // The entry, claimed as RELEASING, tells close() to leave this release to this thread.
            if (holder == HolderThreads.NONE
                    || holder == HolderThreads.RELEASING
                    || !heldHere()
                    || holdStamp() != stamp
                    || !holders.replace(id, holder, HolderThreads.RELEASING)) {
                throw notHeld("cannot be unlocked here");
            }
        } else if (holder == HolderThreads.NONE || holdStamp() != stamp || !holders.clear(id, holder)) {
            throw notHeld("cannot be unlocked here");
        }
        try {
            if (!isLost()) {
                try {
                    manager.deallocate(id);
                } catch (LockNotAllocatedException ex) {
                    // Freed by freeAllLocks() or by free() on a retrieved handle; the binding went with it.
                }
            }
        } finally {
            if (ownedByWord) {
                notes[noteSlot] = HolderThreads.NONE;
                releaseIfHeld();
            } else {
                release();
            }
        }
    }

    private void checkHeld(String consequence) {
        if (ownedByWord ? !heldHere() : holders.get(id) == HolderThreads.NONE) {
            throw notHeld(consequence);
        }
    }

    private IllegalMonitorStateException notHeld(String consequence) {
        return new IllegalMonitorStateException(this + " is not held through this manager, so it " + consequence
                + ": it is unlocked, or held by another manager or process; use it only after a successful"
                + " lock()/tryLock() through the same manager and before unlock()");
    }

    @Override
    public final long fencingToken() {
        manager.ensureOpen();
        checkHeld("has no fencing token here");
        return token();
    }

    @Override
    public final void free() {
        manager.ensureOpen();
        manager.deallocate(id);
    }

    @Override
    public final LockHandle acquire() {
        lock();
        long stamp = holdStamp();
        return new Hold(this, stamp);
    }

    @Override
    public String toString() {
        return "lock " + id + " of " + manager;
    }

    /**
     * The start of a blocking acquisition: checks that the manager is open and that {@code me}
     * does not hold the lock already (which would wait forever). A lock word backend first tries
     * the uncontended acquisition and makes the self-deadlock check only when that failed.
     *
     * @return whether {@code me} must still {@link #acquire} the lock; false when it has it
     */
    private boolean mustWait(Thread me) {
        manager.ensureOpen();
        if (!ownedByWord) {
            if (holders.get(id) == me.getId()) {
                throw selfDeadlock(me);
            }
            return true;
        }
        if (acquireUncontended()) {
            return false;
        }
        checkNotHeldBy(me);
        return true;
    }

    /**
     * The self-deadlock check of a lock word backend, made only after the uncontended attempt
     * failed. A plain load suffices: the entry names this thread only if this thread wrote it
     * after acquiring and has not cleared it since (every other writer writes its own thread's ID
     * or none), so this thread holds the lock, unless another thread unlocked it in between.
     */
    private void checkNotHeldBy(Thread me) {
        if (notes[noteSlot] == me.getId() && heldHere()) {
            throw selfDeadlock(me);
        }
    }

    private IllegalMonitorStateException selfDeadlock(Thread me) {
        return new IllegalMonitorStateException("Thread '" + me.getName() + "' already holds " + this
                + "; locking it again would wait forever because Interlock locks are not reentrant:"
                + " unlock it first, or take it once around the whole critical section");
    }

    /**
     * Records the new holder. For the holder table, the volatile write in {@code set} and the
     * volatile read of the closed flag pair with {@link AbstractManager#close()} (which writes the
     * flag, then reads the table): either close sees this entry and releases the lock, or this
     * thread sees the flag and releases it here, so no lock stays held by a closed manager. For a
     * lock word backend the acquiring compare-and-set is that volatile write, and close reads the
     * words; both may then try to release, and the releasing compare-and-set lets exactly one.
     */
    private void entered(Thread me) {
        long threadId = me.getId();
        if (ownedByWord) {
            notes[noteSlot] = threadId;
            if (manager.isClosed()) {
                notes[noteSlot] = HolderThreads.NONE;
                releaseIfHeld();
                throw new ManagerClosedException(manager.toString());
            }
            return;
        }
        holders.set(id, threadId);
        if (manager.isClosed()) {
            if (holders.clear(id, threadId)) {
                release();
            }
            throw new ManagerClosedException(manager.toString());
        }
    }

    private static long saturatedNanos(Duration timeout) {
        try {
            return timeout.toNanos();
        } catch (ArithmeticException ex) {
            return WAIT_FOREVER;
        }
    }

    /**
     * Tries to acquire the lock for this handle's manager, waiting at most {@code timeoutNanos}.
     * With a timeout of 0 it makes exactly one attempt, does not wait and does not check for
     * interrupts.
     *
     * @param timeoutNanos how long to wait; 0 for one attempt, {@link #WAIT_FOREVER} for no limit
     * @return whether the lock was acquired
     * @throws InterruptedException if interrupted while waiting; the lock is then not held
     */
    protected abstract boolean acquire(long timeoutNanos) throws InterruptedException;

    /**
     * Releases the lock. Called exactly once per acquisition, by the single caller that removed
     * this manager's holder entry, so the backend may assume its manager holds the lock.
     */
    protected abstract void release();

    /**
     * One uncontended acquisition attempt of a lock word backend: a single compare-and-set from
     * free to held by this manager, without waiting, recovering from dead holders or checking for
     * interrupts. Called before the self-deadlock check, which runs only when this fails.
     *
     * @return whether the lock was acquired
     * @throws UnsupportedOperationException if the backend's lock word does not decide ownership
     */
    protected boolean acquireUncontended() {
        throw new UnsupportedOperationException(this + " has no lock word that decides ownership");
    }

    /**
     * Returns whether this manager holds the lock, read from a lock word backend's word with a
     * volatile load (which {@link AbstractManager#close()} relies on).
     *
     * @return whether the lock is held by this manager instance
     * @throws UnsupportedOperationException if the backend's lock word does not decide ownership
     */
    protected boolean heldHere() {
        throw new UnsupportedOperationException(this + " has no lock word that decides ownership");
    }

    /**
     * Releases the lock of a lock word backend if this manager holds it, deciding that with the
     * releasing compare-and-set itself: of racing callers, exactly one releases a given hold.
     *
     * @return whether this call released the lock; {@code false} if this manager did not hold it
     * @throws UnsupportedOperationException if the backend's lock word does not decide ownership
     */
    protected boolean releaseIfHeld() {
        throw new UnsupportedOperationException(this + " has no lock word that decides ownership");
    }

    /** Returns whether the backend's lock word decides ownership, for {@code close()}. */
    final boolean ownedByWord() {
        return ownedByWord;
    }

    /**
     * Returns the fencing token of the current hold, drawing it if the backend draws tokens on
     * demand. Called only while this manager holds the lock (its holder entry exists); see {@link
     * Locker#fencingToken()} for the guarantee the value must meet.
     *
     * @return the hold's token, positive
     */
    protected abstract long token();

    /**
     * Returns whether the backend draws a hold's fencing token only when it is first asked for
     * (because drawing costs a system call), rather than at every acquisition. Such a backend must
     * also override {@link #holdStamp()}.
     *
     * @return {@code false} by default: the token is drawn at acquisition and is the hold stamp
     */
    protected boolean drawsTokensOnDemand() {
        return false;
    }

    /**
     * Returns a value that identifies the current hold among every hold of this lock by this
     * manager, so that a {@link LockHandle} can tell its own hold from a later one. Called only
     * while this manager holds the lock. The default is the {@link #token()}, for backends that
     * draw it at every acquisition; a backend that {@linkplain #drawsTokensOnDemand() draws tokens
     * on demand} returns a cheap per-hold serial instead.
     *
     * @return the current hold's identity
     */
    protected long holdStamp() {
        return token();
    }

    /**
     * Returns whether the backend learned that the current hold was lost. Called only while this
     * manager holds the lock. Backends that cannot lose a lock keep the default, {@code false}.
     *
     * @return whether the hold with the current {@link #holdStamp()} was lost
     */
    protected boolean isLost() {
        return false;
    }

    /**
     * Returns whether this manager holds the lock and the hold is the one with {@code stamp}.
     *
     * @param stamp a {@link #holdStamp()} taken during the hold in question
     * @return whether that hold is still in force
     */
    final boolean isHolding(long stamp) {
        boolean held = ownedByWord ? heldHere() : holders.get(id) != HolderThreads.NONE;
        return !manager.isClosed() && held && holdStamp() == stamp && !isLost();
    }
}
