package dev.interlock.shm;

import com.sun.jna.LastErrorException;
import dev.interlock.LockStorageException;
import dev.interlock.ManagerClosedException;
import dev.interlock.support.VirtualThreads;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;

/**
 * The lock algorithm on the lock words of one segment, for one manager instance (section 6 of
 * {@code docs/shm-layout.md}). Used for every lock record, including the allocator's.
 *
 * <ul>
 *   <li>Uncontended: acquire is one compare-and-set {@code 0 -> token}, release one
 *       compare-and-set {@code token -> 0}; no system call, no allocation.
 *   <li>Contended: threads of this manager queue at the lock's gate ({@link LocalWaiters}), so
 *       that one of them at a time waits on the word, as a process with a single thread would.
 *       That one spins briefly, then sets {@link ShmLayout#WAITERS_BIT} and
 *       sleeps in {@code futex(FUTEX_WAIT)} on the word, in slices so that it checks the holder's
 *       liveness every {@code recoveryTimeout / 4}. A release that sees the waiters bit wakes one
 *       sleeper. A waiter that takes the lock keeps the bit set, because others may still sleep.
 *   <li>Dead holder noticed: at once when the {@link HolderWatcher} learns that the holder's
 *       process exited (it wakes the sleepers and counts the death in the {@link Session}), else
 *       at the periodic check.
 *   <li>Fairness: a waiter that has waited {@value #STARVING_MILLIS} ms is starving and sets {@link
 *       ShmLayout#HANDOFF_BIT}; the next release then hands the lock off (the word keeps the bit
 *       and loses the token) instead of freeing it, and wakes every sleeper. Only a starving waiter
 *       may take a handed-off lock, so a process that unlocks and relocks in a loop cannot barge in
 *       again, and no waiter waits much longer than the threshold plus one hand-off per other
 *       starving waiter. Below the threshold, barging stays allowed: it is what makes a contended
 *       lock fast.
 *   <li>Dead holder: the waiter takes the lock over with a compare-and-set from the exact dead
 *       word, so exactly one recoverer wins, and reports it.
 *   <li>Virtual threads never sleep in the kernel: they park in this JVM (freeing their carrier),
 *       at the gate like any thread and then on the word, where releases from this manager unpark
 *       them, and poll at most {@value #MAX_VIRTUAL_PARK_MICROS} µs apart for releases by other
 *       processes.
 * </ul>
 *
 * @author Interlock team
 */
final class LockWords {

    /**
     * Spin iterations before sleeping: a short critical section on another core may end meanwhile.
     * Not longer: a spinning waiter keeps taking the word's cache line from the holder, which
     * slows every one of its acquisitions (issue 15, two threads of one JVM on one lock: 100
     * spins 2.2×, 10 spins 1.0–1.2× {@code ReentrantLock}; two processes stayed above the C
     * mutex either way).
     */
    private static final int SPIN_LIMIT = 10;

    /**
     * Longest single sleep in the kernel: an interrupt or a {@code close()} cannot end a futex
     * wait, so this bounds how late a waiter notices them, whatever the recovery timeout.
     */
    private static final long MAX_SLEEP_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    /** How long a waiter waits before it asks for a hand-off; bounds the wait (with margins). */
    static final long STARVING_MILLIS = 2;

    private static final long STARVING_NANOS = TimeUnit.MILLISECONDS.toNanos(STARVING_MILLIS);

    /**
     * After this long, a hand-off nobody took (its starving waiter gave up or died) counts as a free
     * lock even for {@code tryLock()}: three ticks of the coarse clock that dates it.
     */
    private static final long STALE_HANDOFF_MILLIS = 3 * CoarseClock.TICK_MILLIS;

    private static final long MIN_VIRTUAL_PARK_MICROS = 20;

    private static final long MAX_VIRTUAL_PARK_MICROS = 1000;

    /** Told about every recovery; the manager logs it and notifies its listener. */
    interface RecoveryReporter {

        /**
         * Reports that lock {@code id} (-1 for the allocator) was taken over from a dead holder.
         *
         * @param deadToken the dead holder's session token
         * @param deadPid its pid, if its owner slot still showed it
         * @param heldSinceMillis when it acquired the lock (epoch millis), or 0 if unknown
         * @param deadFencingToken the fencing token of the dead holder's hold (0 if it died before
         *     drawing one and no earlier hold drew one)
         */
        void recovered(int id, int deadToken, OptionalLong deadPid, long heldSinceMillis, long deadFencingToken);
    }

    private final ShmSegment segment;

    private final Session session;

    private final int token;

    private final long livenessCheckNanos;

    private final RecoveryReporter reporter;

    private final SHMLockManager manager;

    /** Learns of holder processes' exits and wakes their locks' sleepers (section 10). */
    private final HolderWatcher watcher;

    /** The waiting threads of this manager per lock ID, created on first contention. */
    private final AtomicReferenceArray<@Nullable LocalWaiters> waiting;

    LockWords(
            ShmSegment segment,
            Session session,
            int lockCount,
            Duration recoveryTimeout,
            RecoveryReporter reporter,
            SHMLockManager manager) {
        this.segment = segment;
        this.session = session;
        this.token = session.token();
        this.livenessCheckNanos = livenessCheckNanos(recoveryTimeout);
        this.reporter = reporter;
        this.manager = manager;
        this.waiting = new AtomicReferenceArray<>(lockCount);
        this.watcher = new HolderWatcher(session, manager::wakeHeldBy, manager.toString());
    }

    /**
     * Acquires the lock whose record is at {@code record}; see {@code AbstractLocker#acquire}.
     *
     * @param id the lock ID, or -1 for the allocator lock
     */
    boolean acquire(int record, int id, long timeoutNanos) throws InterruptedException {
        if (segment.compareAndSetInt(record, 0, token)) {
            stampHold(record);
            return true;
        }
        if (timeoutNanos == 0) {
            // One attempt only, but neither a dead holder nor a hand-off that nobody takes may make
            // tryLock() fail forever.
            int word = segment.intAcquire(record);
            if ((word & ShmLayout.TOKEN_MASK) == 0) {
                return word != 0 && handOffStale(record) && takeFree(record, word);
            }
            return recoverIfDead(record, id, word);
        }
        if (id < 0) {
            return acquireContended(record, id, timeoutNanos, null);
        }
        LocalWaiters local = localWaiters(id);
        boolean forever = timeoutNanos == Long.MAX_VALUE;
        long start = forever ? 0 : System.nanoTime();
        if (forever) {
            local.gate.lockInterruptibly();
        } else if (!local.gate.tryLock(timeoutNanos, TimeUnit.NANOSECONDS)) {
            return false;
        }
        try {
            // Through the gate with time left or not, look at the word at least once.
            long remaining = forever ? Long.MAX_VALUE : Math.max(1, timeoutNanos - (System.nanoTime() - start));
            return acquireContended(record, id, remaining, local);
        } finally {
            local.gate.unlock();
        }
    }

    /**
     * A handle's uncontended acquisition: one compare-and-set {@code 0 -> token} of the word at
     * {@code record} of the mapping, and the hold's stamp ({@link #stampHold}); fails without
     * waiting if the word is anything else. See {@code AbstractLocker#acquireUncontended}.
     *
     * <p>Static, taking the mapping and its address: {@link SHMLock} keeps them and the token
     * itself, so that the uncontended path finds the word one load after the handle instead of
     * three (this object, its segment, the mapping). Each of those loads waits for the fence of
     * the previous compare-and-set, so the chain costs more than the loads suggest: 8.5 against
     * 6.6 ns per {@code lock()}+{@code unlock()} (issue 15).
     */
    static boolean acquireFree(ByteBuffer mapping, long address, int record, int token) {
        if (ShmSegment.casUncontended(mapping, address, record, 0, token)) {
            ShmSegment.putLongUncontended(mapping, address, record + ShmLayout.HELD_SINCE_OFFSET, CoarseClock.millis());
            return true;
        }
        return false;
    }

    /**
     * Returns whether this manager holds the lock at {@code record}: the word carries its session
     * token. A volatile load, as {@code AbstractManager#idsHeldHere} needs.
     */
    boolean heldHere(int record) {
        return (segment.intVolatile(record) & ShmLayout.TOKEN_MASK) == token;
    }

    /**
     * Waits for the word: a short spin, then sleeps (section 6). For a lock ID, only the thread of
     * this manager that passed {@code local}'s gate gets here.
     */
    private boolean acquireContended(int record, int id, long timeoutNanos, @Nullable LocalWaiters local)
            throws InterruptedException {
        long start = System.nanoTime();
        for (int spin = 0; spin < SPIN_LIMIT; spin++) {
            Thread.onSpinWait();
            if (segment.intAcquire(record) == 0 && segment.compareAndSetInt(record, 0, token)) {
                stampHold(record);
                return true;
            }
        }
        boolean forever = timeoutNanos == Long.MAX_VALUE;
        long starvingAt = start + STARVING_NANOS;
        long nextLivenessCheck = start + livenessCheckNanos;
        Thread me = Thread.currentThread();
        boolean virtual = VirtualThreads.isVirtual(me);
        long parkMicros = MIN_VIRTUAL_PARK_MICROS;
        boolean parked = false;
        boolean starving = false;
        boolean acquired = false;
        int seenDeaths = session.deaths();
        int checkedHolder = 0;
        try {
            while (true) {
                int word = segment.intAcquire(record);
                long now = System.nanoTime();
                int deaths = session.deaths();
                if (deaths != seenDeaths) {
                    // The watcher learned that a holder process exited: check ours now.
                    seenDeaths = deaths;
                    nextLivenessCheck = now;
                }
                starving = now - starvingAt >= 0;
                if ((word & ShmLayout.TOKEN_MASK) == 0) {
                    // Free, or handed off: only a starving waiter may take a handed-off lock.
                    if (word == 0 || starving || handOffStale(record)) {
                        if (takeFree(record, word)) {
                            return acquired = true;
                        }
                        continue;
                    }
                    if (now - nextLivenessCheck >= 0) {
                        nextLivenessCheck = now + livenessCheckNanos; // no holder to check
                    }
                } else {
                    int flags = starving ? ShmLayout.WAITERS_BIT | ShmLayout.HANDOFF_BIT : ShmLayout.WAITERS_BIT;
                    if ((word & flags) != flags) {
                        if (!segment.compareAndSetInt(record, word, word | flags)) {
                            continue;
                        }
                        word |= flags;
                    }
                    if (now - nextLivenessCheck >= 0) {
                        nextLivenessCheck = now + livenessCheckNanos;
                        if (recoverIfDead(record, id, word)) {
                            return acquired = true;
                        }
                        continue;
                    }
                }
                long remaining = forever ? Long.MAX_VALUE : timeoutNanos - (now - start);
                if (remaining <= 0) {
                    // A short tryLock(timeout) may end before the first periodic check: check
                    // once here, or a dead holder would make it fail forever.
                    return acquired = (word & ShmLayout.TOKEN_MASK) != 0 && recoverIfDead(record, id, word);
                }
                if (Thread.interrupted()) {
                    throw new InterruptedException("Interrupted while waiting for lock " + id);
                }
                if (manager.closed()) {
                    throw new ManagerClosedException(manager.toString());
                }
                int holder = word & ShmLayout.TOKEN_MASK;
                if (holder != 0 && holder != token && watcher.watch(holder) && holder != checkedHolder) {
                    // A new watch: the holder may have died before it was set up, so check once now.
                    checkedHolder = holder;
                    nextLivenessCheck = now;
                    continue;
                }
                long slice = Math.min(Math.min(remaining, nextLivenessCheck - now), MAX_SLEEP_NANOS);
                if (!starving) {
                    // Wake up when starving, to ask for a hand-off.
                    slice = Math.min(slice, starvingAt - now);
                }
                if (virtual) {
                    if (!parked && local != null) {
                        local.parkedWaiter = me;
                        parked = true;
                        continue; // re-check the word after announcing, so no release is missed
                    }
                    LockSupport.parkNanos(Math.min(slice, TimeUnit.MICROSECONDS.toNanos(parkMicros)));
                    parkMicros = Math.min(parkMicros * 2, MAX_VIRTUAL_PARK_MICROS);
                } else {
                    NativeCalls.futexWait(segment.address(record), word, slice);
                }
            }
        } finally {
            if (parked) {
                local.parkedWaiter = null;
            }
            if (starving && !acquired) {
                withdrawHandOff(record, id);
            }
        }
    }

    /**
     * A starving waiter leaves without the lock (timed out, interrupted, closed): it takes back the
     * hand-off it may have asked for, so that the next release frees the lock (or, if the lock is
     * already handed off, frees it now) instead of keeping it from {@code tryLock()} until the
     * hand-off is stale. Other starving waiters are woken to ask again.
     */
    private void withdrawHandOff(int record, int id) {
        int word = segment.intAcquire(record);
        while ((word & ShmLayout.HANDOFF_BIT) != 0) {
            int next = (word & ShmLayout.TOKEN_MASK) == 0 ? 0 : word & ~ShmLayout.HANDOFF_BIT;
            int witness = segment.compareAndExchangeInt(record, word, next);
            if (witness == word) {
                wake(record, id, Integer.MAX_VALUE);
                return;
            }
            word = witness;
        }
    }

    /**
     * Takes a free or handed-off lock: keeps the waiters bit (others may sleep), drops the hand-off
     * bit (the starving waiter it was for, or one of them, is served; the others set it again).
     */
    private boolean takeFree(int record, int word) {
        if (segment.compareAndSetInt(record, word, token | (word & ShmLayout.WAITERS_BIT))) {
            stampHold(record);
            return true;
        }
        return false;
    }

    /**
     * Whether the lock at {@code record}, handed off, has waited for a starving waiter for so long
     * that it likely left (timed out, interrupted or died). The releaser dated the hand-off in the
     * held-since field; a date in the future (a clock stepped back, or a damaged field) counts as
     * stale too, so that it cannot block {@code tryLock()} for long.
     */
    private boolean handOffStale(int record) {
        long age = CoarseClock.millis() - segment.longPlain(record + ShmLayout.HELD_SINCE_OFFSET);
        return age > STALE_HANDOFF_MILLIS || age < -STALE_HANDOFF_MILLIS;
    }

    /**
     * Releases the lock at {@code record}, which this manager holds, and wakes one waiter if the
     * waiters bit was set.
     *
     * @return {@code false} if the lock was no longer ours: another process judged this manager
     *     dead and took it over (only possible while closing)
     */
    boolean release(int record, int id) {
        return segment.compareAndSetInt(record, token, 0) || releaseContended(record, id);
    }

    /**
     * A handle's uncontended release: one compare-and-set {@code token -> 0} of the word at {@code
     * record} of the mapping; static for the reason given at {@link #acquireFree}.
     *
     * @return whether it released; {@code false} if the word has flags set or is not ours, for
     *     {@link #releaseContended} to decide
     */
    static boolean releaseFree(ByteBuffer mapping, long address, int record, int token) {
        return ShmSegment.casUncontended(mapping, address, record, token, 0);
    }

    /**
     * Releases the lock at {@code record} after the uncontended release failed: wakes waiters, hands
     * off to a starving one, or finds that the lock is no longer ours.
     *
     * @return {@code false} if the lock was no longer ours, as for {@link #release(int, int)}
     */
    boolean releaseContended(int record, int id) {
        int word = segment.intAcquire(record);
        while ((word & ShmLayout.TOKEN_MASK) == token) {
            boolean handOff = (word & ShmLayout.HANDOFF_BIT) != 0;
            if (handOff) {
                // Dates the hand-off, for handOffStale(); still ours to write until the CAS.
                segment.longPlain(record + ShmLayout.HELD_SINCE_OFFSET, CoarseClock.millis());
            }
            int witness = segment.compareAndExchangeInt(
                    record, word, handOff ? ShmLayout.HANDOFF_BIT | ShmLayout.WAITERS_BIT : 0);
            if (witness == word) {
                // A hand-off wakes every sleeper: the one woken by a single wake may not be starving.
                wake(record, id, handOff ? Integer.MAX_VALUE : 1);
                return true;
            }
            word = witness;
        }
        return false;
    }

    private boolean recoverIfDead(int record, int id, int word) {
        int holder = word & ShmLayout.TOKEN_MASK;
        boolean alive;
        try {
            // A word naming this session: a user lock another thread of this manager holds, but
            // never the allocator lock, which one thread of this manager at a time holds or waits
            // for (Allocator): such a word is corrupt, and is taken over as a dead holder's.
            alive = holder == token ? id >= 0 : session.isAlive(holder);
        } catch (LastErrorException ex) {
            if (manager.closed()) {
                throw new ManagerClosedException(manager.toString());
            }
            throw new LockStorageException(
                    manager.path(),
                    "Cannot check whether the holder of lock " + id + " of " + manager + " is alive: fcntl(F_OFD_GETLK)"
                            + " failed with errno " + ex.getErrorCode() + "; the segment file may have been replaced",
                    ex);
        }
        // close() sets the flag before it closes the session's descriptor, whose number the
        // process may then reuse for another file: an answer given after that is meaningless.
        if (manager.closed()) {
            throw new ManagerClosedException(manager.toString());
        }
        if (alive) {
            return false;
        }
        OptionalLong deadPid = session.pidOf(holder);
        long heldSince = segment.longPlain(record + ShmLayout.HELD_SINCE_OFFSET);
        // From the exact dead word: of all racing recoverers exactly one wins. Like takeFree, keep
        // the waiters bit and drop the hand-off bit: the starving waiter it asked for may be us.
        if (!segment.compareAndSetInt(record, word, token | (word & ShmLayout.WAITERS_BIT))) {
            return false;
        }
        try {
            // The dead holder's token is the counter as it left it; ours is drawn above it.
            long deadFencingToken = token(record);
            stampHold(record);
            reporter.recovered(id, holder, deadPid, heldSince, deadFencingToken);
        } catch (Throwable ex) {
            // The caller never learns that we hold the word (no holder-table entry; for the
            // allocator, the repair did not finish), so nobody would ever release it: give it back
            // to the dead holder, so that the next waiter takes it over, repairs and reports again.
            giveBackToDeadHolder(record, id, word);
            throw ex;
        }
        return true;
    }

    /**
     * Undoes a takeover whose reporting failed: the word returns to the dead holder's value, still
     * dead for every process (its slot has a newer token or no liveness lock), keeping the waiters
     * bit, and every sleeper is woken so that it checks the holder at once instead of at its next
     * liveness check.
     */
    private void giveBackToDeadHolder(int record, int id, int deadWord) {
        int ours = segment.intAcquire(record);
        if ((ours & ShmLayout.TOKEN_MASK) == token
                && segment.compareAndSetInt(record, ours, deadWord | (ours & ~ShmLayout.TOKEN_MASK))) {
            wake(record, id, Integer.MAX_VALUE);
        }
    }

    /**
     * Records a new hold ({@link #acquireFree} does the same): since when, with the token-drawn
     * bit clear, so that the hold's first request for a fencing token draws a new one ({@link
     * #drawToken}); the counter itself is not touched at acquisition. Only the holder writes either
     * field, right after its acquiring CAS, so plain accesses suffice: the next holder's CAS
     * follows this holder's releasing CAS, and a taker-over's CAS follows the dead holder's last
     * store.
     */
    private void stampHold(int record) {
        segment.longPlain(record + ShmLayout.HELD_SINCE_OFFSET, CoarseClock.millis());
    }

    /** Returns the segment, for a handle's uncontended path ({@link #acquireFree}, {@link #releaseFree}). */
    ShmSegment segment() {
        return segment;
    }

    /** Returns this manager's session token, for messages and the uncontended path. */
    int sessionToken() {
        return token;
    }

    /** Returns the fencing counter of the lock at {@code record}: the last token drawn; we hold the lock. */
    long token(int record) {
        return segment.longPlain(record + ShmLayout.FENCE_OFFSET);
    }

    /**
     * Returns the fencing token of the current hold of the lock at {@code record}, which this
     * manager holds, drawing it on the hold's first request: one more than the counter, stored
     * back, then the token-drawn bit set in held-since (section 4.1). Holds that never ask draw
     * nothing, so tokens stay strictly increasing across the holds that have one. Synchronized
     * because every thread of this manager may ask during one hold; only holders write either
     * field, and holders follow each other through the lock word's CAS, as in {@link #stampHold}.
     * A holder killed between the two stores leaves a counter one higher and the bit clear: the
     * hold is over, and the next one draws above it.
     */
    synchronized long drawToken(int record) {
        int since = record + ShmLayout.HELD_SINCE_OFFSET;
        int fence = record + ShmLayout.FENCE_OFFSET;
        long heldSince = segment.longPlain(since);
        long token = segment.longPlain(fence);
        if ((heldSince & ShmLayout.TOKEN_DRAWN_BIT) == 0) {
            token++;
            segment.longPlain(fence, token);
            segment.longPlain(since, heldSince | ShmLayout.TOKEN_DRAWN_BIT);
        }
        return token;
    }

    /** Returns the fencing token of the last hold that drew one, read without holding the lock. */
    long lastToken(int record) {
        return segment.longAcquire(record + ShmLayout.FENCE_OFFSET);
    }

    private LocalWaiters localWaiters(int id) {
        LocalWaiters local = waiting.get(id);
        if (local == null) {
            LocalWaiters created = new LocalWaiters();
            local = waiting.compareAndExchange(id, null, created);
            if (local == null) {
                local = created;
            }
        }
        return local;
    }

    /**
     * Wakes up to {@code count} sleepers of other processes on the word at {@code record}, and the
     * virtual thread of this manager parked on lock {@code id} (none when {@code id} is negative).
     */
    private void wake(int record, int id, int count) {
        NativeCalls.futexWake(segment.address(record), count);
        if (id >= 0) {
            unparkOne(id);
        }
    }

    /**
     * Wakes every sleeper on the word at {@code record} if it still holds {@code deadToken}, whose
     * process exited: they then check the holder at once (see {@link HolderWatcher}).
     *
     * @return whether the word still holds {@code deadToken}
     */
    boolean wakeIfHeldBy(int record, int id, int deadToken) {
        int word = segment.intAcquire(record);
        if ((word & ShmLayout.TOKEN_MASK) != deadToken) {
            return false;
        }
        if ((word & ShmLayout.WAITERS_BIT) != 0) {
            wake(record, id, Integer.MAX_VALUE);
        }
        return true;
    }

    /** Stops the holder watcher; called when the manager closes. */
    void closeWatcher() {
        watcher.close();
    }

    private void unparkOne(int id) {
        LocalWaiters local = waiting.get(id);
        Thread parked = local == null ? null : local.parkedWaiter;
        if (parked != null) {
            LockSupport.unpark(parked);
        }
    }

    /**
     * The threads of this manager waiting for one lock. They queue on {@link #gate}, in arrival
     * order, and only the one that passed it waits on the word; the others sleep in this JVM. So
     * the word, and the kernel, see one waiter per manager, as if each process had one thread
     * (issue 15, "queue locally"): without the gate, four threads of one JVM on one lock took
     * turns spinning on the word and sleeping in futex calls, 4× {@code ReentrantLock}. The gate
     * is fair, so a thread waits for the ones before it and then at most as long as a lone
     * waiter of its process would; the fairness bound of section 6 applies from the gate on.
     */
    private static final class LocalWaiters {

        final ReentrantLock gate = new ReentrantLock(true);

        /**
         * The virtual thread that passed the gate, while it parks: virtual threads never sleep in
         * the kernel, so releases from this manager unpark it.
         */
        volatile @Nullable Thread parkedWaiter;
    }

    /**
     * Returns how often a waiter checks its holder: a quarter of the recovery timeout, so that a
     * waiter notices a death within half of it (one interval until the check, one more if the
     * death came just after a check) and the rest is slack.
     */
    static long livenessCheckNanos(Duration recoveryTimeout) {
        return Math.max(1, recoveryTimeout.toNanos() / 4);
    }
}
