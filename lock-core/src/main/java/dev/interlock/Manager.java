package dev.interlock;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.SortedMap;

/**
 * Hands out, retrieves and frees multiprocess {@link Locker locks} identified by numeric IDs.
 *
 * <p>Locks returned by a manager are multiprocess: allocating a lock in process A and retrieving
 * its ID in process B returns handles for the same lock, and locking it in A excludes B until A
 * unlocks it. All locks with a given ID refer to the same underlying lock, every ID refers to a
 * distinct lock, and a lock can always be retrieved by its ID.
 *
 * <p>{@link #allocateLock()} returns an ID that is not allocated (the lowest free one) and fails
 * once all are allocated; {@link Locker#free()} returns an ID to the pool. IDs are stored by
 * callers with the objects they protect; after storage is lost (for example a reboot that empties
 * shared memory) callers re-claim them with {@link #allocateAndRetrieveLock(int)}.
 *
 * <p>A manager is thread-safe. Closing it releases the locks it still holds and leaves the
 * storage in place for other processes.
 *
 * @author Interlock team
 * @since 0.1.0
 */
public interface Manager extends AutoCloseable {

    /**
     * Allocates the lowest unallocated ID and returns its lock. The same ID is not returned again
     * until it is freed.
     *
     * @return the newly allocated lock
     * @throws LocksExhaustedException if every lock is allocated
     * @throws ManagerClosedException if this manager was closed
     */
    Locker allocateLock();

    /**
     * Returns a handle to the lock with the given ID, allocated or not. Locking an unallocated
     * lock works: callers may lock an object that was just removed and then discover it is gone.
     *
     * @param id the lock's ID
     * @return a handle to the lock
     * @throws InvalidLockIdException if the ID is negative or beyond this storage's capacity
     * @throws ManagerClosedException if this manager was closed
     */
    Locker retrieveLock(int id);

    /**
     * Marks the given ID as allocated and returns its lock. Used after storage was lost to
     * re-claim the IDs that callers have stored.
     *
     * @param id the lock's ID
     * @return a handle to the lock
     * @throws LockAlreadyAllocatedException if the ID is already allocated
     * @throws InvalidLockIdException if the ID is negative or beyond this storage's capacity
     * @throws ManagerClosedException if this manager was closed
     */
    Locker allocateAndRetrieveLock(int id);

    /**
     * <b>Dangerous: read this before use.</b> Frees every allocated lock and forgets every lock
     * name, in preparation for renumbering all locks.
     *
     * <p>If other processes are allocating or freeing locks at the same time, the result races
     * with them and can be inconsistent. Even alone, this call makes the allocation state
     * disagree with every ID that callers have stored, until they are all renumbered. Use it only
     * in tests or during a renumbering where no other process is active. Locks that are held stay
     * held.
     *
     * @throws ManagerClosedException if this manager was closed
     */
    void freeAllLocks();

    /**
     * Returns how many more locks {@link #allocateLock()} can hand out.
     *
     * @return the number of unallocated IDs, or empty when the backend has no fixed limit
     * @throws ManagerClosedException if this manager was closed
     */
    OptionalInt availableLocks();

    /**
     * Returns how many IDs are allocated, by any process using the same storage.
     *
     * @return the number of allocated IDs
     * @throws ManagerClosedException if this manager was closed
     */
    int allocatedLocks();

    /**
     * Returns every lock that is held right now by any process using the same storage, ascending
     * by ID. The snapshot is read without taking any lock, so it may be stale by the time it is
     * returned.
     *
     * @return the held locks
     * @throws ManagerClosedException if this manager was closed
     */
    List<HeldLock> locksHeld();

    /**
     * Returns the lock bound to {@code name}, allocating an ID and binding it on first use. The
     * binding is atomic across processes: two processes asking for the same new name at the same
     * time get the same ID, and exactly one ID is allocated. {@link Locker#free()} on the result
     * releases both the ID and the name.
     *
     * @param name 1 to 255 characters of Unicode text
     * @return the lock bound to the name
     * @throws IllegalArgumentException if the name is empty, too long or not valid Unicode text
     * @throws LocksExhaustedException if the name is new and every lock is allocated
     * @throws ManagerClosedException if this manager was closed
     */
    Locker namedLock(String name);

    /**
     * Returns every name bound by {@link #namedLock(String)} with its lock ID, by any process using
     * the same storage, sorted by name ({@link String#compareTo natural order}). The bindings are
     * read without allocating anything and without taking any lock (the one exception: the file
     * backend, when another process changed its name log, keeps writers of that log out with a
     * shared lock while it re-reads it). The snapshot may be stale by the time it is returned: a
     * name bound or freed during the call may be missing or still listed, but every entry was a
     * binding at some moment during the call.
     *
     * @return an unmodifiable map from name to lock ID; empty when no name is bound
     * @throws UnsupportedOperationException if this manager cannot list its names (the default, for
     *     implementations written before this method existed; every Interlock backend lists them)
     * @throws ManagerClosedException if this manager was closed
     * @since 0.1.0
     */
    default SortedMap<String, Integer> lockNames() {
        throw new UnsupportedOperationException(getClass().getName()
                + " cannot list its lock names: it does not implement Manager.lockNames(); implement it, or"
                + " look up a name with namedLock(name), which allocates the name if it is not bound");
    }

    /**
     * Acquires the <em>temporary name lock</em> {@code name}, waiting as long as it takes, and
     * returns the hold; {@link LockHandle#close()} releases it. Equivalent to {@link
     * #tryLockName(String, Duration)} without a time limit.
     *
     * @param name 1 to 255 characters of Unicode text, at most 1,019 bytes in UTF-8
     * @return the hold, to be released with {@link LockHandle#close()}
     * @throws InterruptedException if interrupted while waiting; the name is then not held
     * @throws IllegalArgumentException if the name is not valid
     * @throws IllegalMonitorStateException if the calling thread already holds this name through
     *     this manager (temporary name locks are not reentrant)
     * @throws LocksExhaustedException if the name needs an ID and every lock is allocated
     * @throws UnsupportedOperationException if this manager has no temporary name locks (the
     *     default; every Interlock backend has them)
     * @throws ManagerClosedException if this manager was closed
     * @since 0.2.0
     */
    default LockHandle lockName(String name) throws InterruptedException {
        throw new UnsupportedOperationException(getClass().getName()
                + " has no temporary name locks: it does not implement Manager.lockName(String); implement it,"
                + " or use namedLock(name), which binds the name for good");
    }

    /**
     * Acquires the <em>temporary name lock</em> {@code name} if it becomes free within {@code
     * timeout}.
     *
     * <p>Unlike {@link #namedLock(String)}, which binds a name to an ID for good, a temporary name
     * lock binds its name to an ID only while the name is held or awaited: the last holder frees
     * the ID when it releases, so names taken from user input or from a sequence (one per
     * invoice, per user) never exhaust the storage. Exclusion per name holds across processes,
     * and two unrelated names never share a lock while both are in use, so a thread holding one
     * never waits for the holder of another. The bindings live in the storage's name table under
     * a reserved key that no name can collide with, and are not listed by {@link #lockNames()}.
     *
     * <p>Costs and limits: acquiring and releasing each allocate and free an ID (a few
     * microseconds on shared memory, a file write on the file backend), and a waiter that waits
     * longer than a few tens of milliseconds re-checks the binding. The fencing token of a hold
     * ({@link LockHandle#fencingToken()}) is the token of the ID that was bound at the time, so
     * tokens increase per ID, not per name: compare the tokens of a name only while you also store
     * the ID, or use {@link #namedLock(String)} where per-name tokens matter. A process that dies
     * holding a name, or that gives up at the very moment it bound the name, leaves that binding
     * allocated; the next holder of the same name frees it. {@link #freeAllLocks()} and {@link
     * Locker#free()} of a bound ID break the exclusion of the names involved, as they break
     * exclusion for every lock.
     *
     * @param name 1 to 255 characters of Unicode text, at most 1,019 bytes in UTF-8
     * @param timeout how long to wait at most; zero or negative means "try once, do not wait"
     * @return the hold, to be released with {@link LockHandle#close()}, or empty if the name was
     *     still held elsewhere when the time ran out
     * @throws InterruptedException if interrupted while waiting; the name is then not held
     * @throws IllegalArgumentException if the name is not valid
     * @throws IllegalMonitorStateException if the calling thread already holds this name through
     *     this manager (temporary name locks are not reentrant)
     * @throws LocksExhaustedException if the name needs an ID and every lock is allocated
     * @throws UnsupportedOperationException if this manager has no temporary name locks (the
     *     default; every Interlock backend has them)
     * @throws ManagerClosedException if this manager was closed
     * @since 0.2.0
     */
    default Optional<LockHandle> tryLockName(String name, Duration timeout) throws InterruptedException {
        throw new UnsupportedOperationException(getClass().getName()
                + " has no temporary name locks: it does not implement Manager.tryLockName(String, Duration);"
                + " implement it, or use namedLock(name), which binds the name for good");
    }

    /**
     * Releases every lock this manager still holds (logging a warning for each) and refuses
     * further use with {@link ManagerClosedException}. Storage shared with other processes is left
     * in place. Closing twice is harmless.
     */
    @Override
    void close();
}
