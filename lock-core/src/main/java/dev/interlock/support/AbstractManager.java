package dev.interlock.support;

import dev.interlock.HeldLock;
import dev.interlock.InvalidLockIdException;
import dev.interlock.Locker;
import dev.interlock.Manager;
import dev.interlock.ManagerClosedException;
import java.util.List;
import java.util.OptionalInt;
import java.util.SortedMap;
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

    @Override
    public final List<HeldLock> locksHeld() {
        ensureOpen();
        return readHeld();
    }

    @Override
    public final SortedMap<String, Integer> lockNames() {
        ensureOpen();
        return readNames();
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
            for (int id : holders.heldIds()) {
                Thread holder = holders.get(id);
                if (holder != null && holders.clear(id, holder)) {
                    logger.warn(
                            "Closing {} released lock {}, still held (acquired by thread '{}'): unlock locks"
                                    + " before closing their manager",
                            this,
                            id,
                            holder.getName());
                    lockerFor(id).release();
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

    /** Releases the storage of this instance (mappings, descriptors); called once, by close. */
    protected abstract void closeStorage();
}
