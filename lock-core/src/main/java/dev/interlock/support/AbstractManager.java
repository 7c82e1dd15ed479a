package dev.interlock.support;

import dev.interlock.HeldLock;
import dev.interlock.InvalidLockIdException;
import dev.interlock.LockHandle;
import dev.interlock.Locker;
import dev.interlock.Manager;
import dev.interlock.ManagerClosedException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.SortedMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Base class of every backend's {@link Manager}: it owns the checks and bookkeeping that must be
 * identical everywhere (closed state, ID and name validation, which locks this instance holds and
 * through which thread, releasing them on close), and leaves storage to the backend through the
 * {@code protected abstract} methods.
 *
 * <p>For backend implementations in this library; application code uses {@link Manager}.
 *
 * @author Interlock team
 * @since 0.1.0
 */
public abstract class AbstractManager implements Manager {

    private static final Logger logger = LoggerFactory.getLogger(AbstractManager.class);

    /** Longest lock name, in Unicode code points. */
    public static final int MAX_NAME_LENGTH = 255;

    /**
     * First character of the key under which a temporary name lock binds its name in the name
     * table. It is a control character, which {@link #checkName} refuses in every name, so no
     * name bound by {@link #namedLock(String)} can collide with a temporary binding; and it sorts
     * before every valid name, so the temporary bindings are a prefix of the sorted names.
     */
    static final char TEMPORARY_KEY_PREFIX = '\u0001';

    /** Longest temporary name in UTF-8 bytes: the reserved prefix takes one of a name's bytes. */
    static final int MAX_TEMPORARY_NAME_BYTES = 4 * MAX_NAME_LENGTH - 1;

    /**
     * How long a waiter for a temporary name waits on one ID before it checks that the name is
     * still bound to that ID. The check is a read-only look-up; it matters only when the ID was
     * freed and bound to another name meanwhile, where waiting on would wait for an unrelated
     * holder.
     */
    private static final long NAME_WAIT_SLICE_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    private final OptionalInt numLocks;

    private final HolderThreads holders;

    private volatile boolean closed;

    /**
     * Creates the base of a manager.
     *
     * @param numLocks the storage's lock count, or empty when IDs are unbounded
     */
    protected AbstractManager(OptionalInt numLocks) {
        this.numLocks = numLocks;
        this.holders = numLocks.isPresent() ? HolderThreads.bounded(numLocks.getAsInt()) : HolderThreads.unbounded();
    }

    @Override
    public final Locker allocateLock() {
        ensureOpen();
        return lockerFor(allocateLowestFree());
    }

    @Override
    public final Locker retrieveLock(int id) {
        ensureOpen();
        checkId(id);
        return lockerFor(id);
    }

    @Override
    public final Locker allocateAndRetrieveLock(int id) {
        ensureOpen();
        checkId(id);
        allocate(id);
        return lockerFor(id);
    }

    @Override
    public final void freeAllLocks() {
        ensureOpen();
        deallocateAll();
    }

    @Override
    public final OptionalInt availableLocks() {
        ensureOpen();
        return countAvailable();
    }

    @Override
    public final int allocatedLocks() {
        ensureOpen();
        return countAllocated();
    }

    /**
     * {@inheritDoc}
     *
     * <p>A lock held as a temporary name lock ({@link #lockName(String)}) is reported with that
     * name.
     */
    @Override
    public final List<HeldLock> locksHeld() {
        ensureOpen();
        List<HeldLock> held = readHeld();
        List<HeldLock> shown = null;
        for (int i = 0; i < held.size(); i++) {
            HeldLock lock = held.get(i);
            if (lock.name().isPresent() && isTemporaryKey(lock.name().get())) {
                if (shown == null) {
                    shown = new ArrayList<>(held);
                }
                shown.set(
                        i,
                        new HeldLock(
                                lock.id(),
                                Optional.of(lock.name().get().substring(1)),
                                lock.ownerPid(),
                                lock.heldSince(),
                                lock.ownerHost(),
                                lock.fencingToken()));
            }
        }
        return shown == null ? held : Collections.unmodifiableList(shown);
    }

    /**
     * {@inheritDoc}
     *
     * <p>The bindings of temporary name locks ({@link #lockName(String)}) are not listed.
     */
    @Override
    public final SortedMap<String, Integer> lockNames() {
        ensureOpen();
        SortedMap<String, Integer> names = readNames();
        if (names.isEmpty() || !isTemporaryKey(names.firstKey())) {
            return names;
        }
        return Collections.unmodifiableSortedMap(names.tailMap(String.valueOf((char) (TEMPORARY_KEY_PREFIX + 1))));
    }

    private static boolean isTemporaryKey(String key) {
        return !key.isEmpty() && key.charAt(0) == TEMPORARY_KEY_PREFIX;
    }

    @Override
    public final LockHandle lockName(String name) throws InterruptedException {
        Optional<LockHandle> held = holdName(name, 0, true);
        if (held.isEmpty()) {
            throw new IllegalStateException("Waiting without a time limit for temporary name '" + name
                    + "' ended without the lock; this is a bug");
        }
        return held.get();
    }

    @Override
    public final Optional<LockHandle> tryLockName(String name, Duration timeout) throws InterruptedException {
        long nanos;
        try {
            nanos = timeout.isNegative() ? 0 : timeout.toNanos();
        } catch (ArithmeticException ex) {
            return holdName(name, 0, true);
        }
        return holdName(name, nanos, false);
    }

    /**
     * Acquires a temporary name lock. The protocol, for every backend:
     *
     * <ol>
     *   <li>Look up the ID bound to the name's key, binding a newly allocated one if there is none
     *       ({@link #bindName}).
     *   <li>Wait for that ID's lock in slices of {@link #NAME_WAIT_SLICE_NANOS}; after each slice
     *       in which the lock stayed held, look the key up again read-only ({@link #boundId}) and
     *       move to the ID it is bound to now (binding a new one if it is unbound). Without this a
     *       waiter whose ID was freed and bound to another name meanwhile would wait for that
     *       other name's holder.
     *   <li>Holding the ID, validate: bind the key again. If it returns this ID, the name is held.
     *       Otherwise the ID was freed (and maybe re-bound) while this process waited: unlock it
     *       without freeing it and go on with the returned ID.
     * </ol>
     *
     * The release ({@link AbstractLocker#unlockFreeing}) frees the ID, and with it the binding,
     * while still holding it, then unlocks. So only the holder of ID {@code L} ever removes the
     * binding {@code key -> L}, and a binding validated by a holder lasts until that holder
     * releases: two processes inside the critical section of one name would need the key bound to
     * two IDs at once.
     */
    private Optional<LockHandle> holdName(String name, long timeoutNanos, boolean forever) throws InterruptedException {
        ensureOpen();
        checkName(name);
        int bytes = name.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_TEMPORARY_NAME_BYTES) {
            throw new IllegalArgumentException("A temporary lock name must be at most " + MAX_TEMPORARY_NAME_BYTES
                    + " bytes in UTF-8, but '" + name.substring(0, name.offsetByCodePoints(0, 32)) + "...' has "
                    + bytes + "; use a shorter name or a hash of it");
        }
        String key = TEMPORARY_KEY_PREFIX + name;
        long deadline = System.nanoTime() + timeoutNanos;
        Thread me = Thread.currentThread();
        int id = bindName(key).id();
        while (true) {
            if (holders.get(id) == me.getId()) {
                throw new IllegalMonitorStateException("Thread '" + me.getName() + "' already holds temporary name '"
                        + name + "' (lock " + id + " of " + this + "); locking it again would wait forever because"
                        + " Interlock locks are not reentrant: release it first, or take it once around the whole"
                        + " critical section");
            }
            AbstractLocker locker = lockerFor(id);
            long slice =
                    forever ? NAME_WAIT_SLICE_NANOS : Math.min(NAME_WAIT_SLICE_NANOS, deadline - System.nanoTime());
            boolean acquired = slice <= 0 ? locker.tryLock() : locker.tryLock(Duration.ofNanos(slice));
            if (acquired) {
                int bound;
                try {
                    bound = bindName(key).id();
                } catch (RuntimeException ex) {
                    locker.unlock();
                    throw ex;
                }
                if (bound == id) {
                    return Optional.of(new TemporaryNameHold(locker, name, locker.holdStamp()));
                }
                // Freed (and maybe re-bound to another name) while this process waited for it.
                locker.unlock();
                id = bound;
                continue;
            }
            if (!forever && deadline - System.nanoTime() <= 0) {
                return Optional.empty();
            }
            OptionalInt now = boundId(key);
            id = now.isPresent() ? now.getAsInt() : bindName(key).id();
        }
    }

    @Override
    public final Locker namedLock(String name) {
        ensureOpen();
        checkName(name);
        return bindName(name);
    }

    @Override
    public final void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        try {
            for (int id : idsHeldHere()) {
                long holder = holders.get(id);
                AbstractLocker locker = lockerFor(id);
                boolean released;
                if (locker.ownedByWord()) {
                    // The word decides: the holder's own unlock() or its check of the closed flag
                    // may race this release, and the releasing compare-and-set lets one of them.
                    if (holder == HolderThreads.RELEASING) {
                        continue; // ended with freeing by its holder, which releases it too
                    }
                    if (holder != HolderThreads.NONE
                            && !holders.clear(id, holder)
                            && holders.get(id) == HolderThreads.RELEASING) {
                        continue;
                    }
                    released = locker.releaseIfHeld();
                } else {
                    released = holder != HolderThreads.NONE && holders.clear(id, holder);
                    if (released) {
                        locker.release();
                    }
                }
                if (released) {
                    logger.warn(
                            "Closing {} released lock {}, still held (acquired by {}): unlock locks before"
                                    + " closing their manager",
                            this,
                            id,
                            holder == HolderThreads.NONE
                                    ? "a thread still acquiring it"
                                    : "the thread with ID " + holder);
                }
            }
        } finally {
            closeStorage();
        }
    }

    /**
     * Returns whether {@link #close()} was called.
     *
     * @return {@code true} once closed
     */
    protected final boolean isClosed() {
        return closed;
    }

    /**
     * Throws if this manager was closed; every public operation calls this first.
     *
     * @throws ManagerClosedException if closed
     */
    protected final void ensureOpen() {
        if (closed) {
            throw new ManagerClosedException(toString());
        }
    }

    /**
     * Returns the storage's lock count.
     *
     * @return the lock count, or empty when IDs are unbounded
     */
    protected final OptionalInt numLocks() {
        return numLocks;
    }

    final HolderThreads holders() {
        return holders;
    }

    /**
     * Returns the IDs of the locks this manager instance holds right now, for {@link #close()}.
     * The default reads the holder table. A backend whose lock word decides ownership (see {@link
     * AbstractLocker#AbstractLocker(AbstractManager, int, boolean)}) overrides it to read the words,
     * each with a volatile load: close writes the closed flag first, so of this read and a racing
     * acquirer's check of the flag after its compare-and-set, at least one sees the other.
     *
     * @return the held IDs, ascending
     */
    protected int[] idsHeldHere() {
        return holders.heldIds();
    }

    private void checkId(int id) {
        if (id < 0 || (numLocks.isPresent() && id >= numLocks.getAsInt())) {
            throw new InvalidLockIdException(id, numLocks);
        }
    }

    /**
     * Checks that {@code name} is 1 to {@value #MAX_NAME_LENGTH} code points of Unicode text
     * without control characters or unpaired surrogates, so that every backend can store it as
     * UTF-8 of at most {@code 4 * MAX_NAME_LENGTH} bytes.
     *
     * @param name the candidate lock name
     * @throws IllegalArgumentException if it is not a valid name
     */
    public static void checkName(String name) {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("Lock name must be 1 to " + MAX_NAME_LENGTH
                    + " characters of Unicode text, but was " + (name == null ? "null" : "empty"));
        }
        int length = name.codePointCount(0, name.length());
        if (length > MAX_NAME_LENGTH) {
            throw new IllegalArgumentException("Lock name must be 1 to " + MAX_NAME_LENGTH
                    + " characters of Unicode text, but has " + length + " characters: '"
                    + name.substring(0, name.offsetByCodePoints(0, 32)) + "...'; use a shorter name or a hash of it");
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            boolean pairedHigh = Character.isHighSurrogate(c)
                    && i + 1 < name.length()
                    && Character.isLowSurrogate(name.charAt(i + 1));
            boolean unpaired = !pairedHigh && Character.isSurrogate(c);
            if (unpaired || Character.isISOControl(c)) {
                throw new IllegalArgumentException(String.format(
                        "Lock name must be Unicode text, but has %s U+%04X at index %d; remove it from the name",
                        unpaired ? "an unpaired surrogate" : "the control character", (int) c, i));
            }
            if (pairedHigh) {
                i++;
            }
        }
    }

    /**
     * Returns a handle for lock {@code id}, which is known to be in range. Handles must be cheap;
     * per-lock state of this manager lives in the manager, not in the handle.
     *
     * @param id a valid lock ID
     * @return a handle to the lock
     */
    protected abstract AbstractLocker lockerFor(int id);

    /**
     * Allocates the lowest unallocated ID, atomically with respect to every process.
     *
     * @return the allocated ID
     * @throws dev.interlock.LocksExhaustedException if none is left
     */
    protected abstract int allocateLowestFree();

    /**
     * Allocates {@code id}, which is known to be in range.
     *
     * @param id the ID to allocate
     * @throws dev.interlock.LockAlreadyAllocatedException if it is allocated already
     */
    protected abstract void allocate(int id);

    /**
     * Frees {@code id} and any name bound to it.
     *
     * @param id the ID to free
     * @throws dev.interlock.LockNotAllocatedException if it is not allocated
     */
    protected abstract void deallocate(int id);

    /** Frees every ID and forgets every name; held locks stay held. */
    protected abstract void deallocateAll();

    /**
     * Counts the IDs that can still be allocated.
     *
     * @return the count, or empty when IDs are unbounded
     */
    protected abstract OptionalInt countAvailable();

    /**
     * Counts the allocated IDs across all processes.
     *
     * @return the count
     */
    protected abstract int countAllocated();

    /**
     * Reads the held locks of all processes without taking any lock.
     *
     * @return the held locks, ascending by ID
     */
    protected abstract List<HeldLock> readHeld();

    /**
     * Reads every name bound in the storage, from all processes, without taking any lock that
     * {@link #bindName} or {@link #deallocate} take exclusively and without allocating. Each entry
     * must have been a binding at some moment during the call; a binding changed meanwhile may be
     * missing or stale.
     *
     * @return an unmodifiable map from name to lock ID, sorted by name
     */
    protected abstract SortedMap<String, Integer> readNames();

    /**
     * Returns the lock bound to the valid name {@code name}, binding a newly allocated ID to it
     * atomically across processes if it has none.
     *
     * @param name a valid lock name
     * @return the lock bound to the name
     */
    protected abstract Locker bindName(String name);

    /**
     * Returns the ID bound to {@code key} in the name table, without binding, allocating or taking
     * any lock that {@link #bindName} or {@link #deallocate} take exclusively where the backend can
     * avoid it. Used by waiters for temporary name locks to notice that a binding moved. A result
     * must have been the binding at some moment during the call; an empty result or a stale ID is
     * harmless (the caller then binds, or validates after locking), so a backend may answer from a
     * snapshot.
     *
     * <p>The default reads every name with {@link #readNames()}; backends override it with a
     * direct look-up.
     *
     * @param key a valid name, or the key of a temporary name lock
     * @return the bound ID, or empty when the key is not bound
     */
    protected OptionalInt boundId(String key) {
        Integer id = readNames().get(key);
        return id == null ? OptionalInt.empty() : OptionalInt.of(id);
    }

    /** Releases the storage of this instance (mappings, descriptors); called once, by close. */
    protected abstract void closeStorage();
}
