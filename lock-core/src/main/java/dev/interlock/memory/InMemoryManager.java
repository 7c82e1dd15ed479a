package dev.interlock.memory;

import dev.interlock.HeldLock;
import dev.interlock.LockAlreadyAllocatedException;
import dev.interlock.LockNotAllocatedException;
import dev.interlock.Locker;
import dev.interlock.LocksExhaustedException;
import dev.interlock.support.AbstractLocker;
import dev.interlock.support.AbstractManager;
import java.time.Instant;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.stream.IntStream;
import org.jspecify.annotations.Nullable;

/**
 * A lock manager whose locks live in this JVM only: they are <b>not multiprocess</b>. It has the
 * full semantics of every other manager (fixed capacity, lowest-free allocation, ownership by
 * manager instance, self-deadlock detection, named locks) and is meant for unit and integration
 * tests and for single-process use; never use it to coordinate processes.
 *
 * <p>Each instance is its own storage: two {@code InMemoryManager}s never share locks. {@link
 * #locksHeld()} reports this process as the owner and no acquisition time, which it does not
 * record so that locking costs what a {@link java.util.concurrent.locks.ReentrantLock} does.
 *
 * @author Interlock team
 * @since 0.1.0
 */
public final class InMemoryManager extends AbstractManager {

    /** Largest lock count an in-memory manager accepts. */
    public static final int MAX_LOCKS = 1 << 24;

    private static final long PID = ProcessHandle.current().pid();

    private final int numLocks;

    private final AtomicReferenceArray<@Nullable Mutex> mutexes;

    /** Allocation state and names, changed only while holding {@code this}. */
    private final BitSet allocated = new BitSet();

    /** Concurrent so that {@link #readNames()} can copy it without holding {@code this}. */
    private final ConcurrentSkipListMap<String, Integer> idsByName = new ConcurrentSkipListMap<>();

    private final Map<Integer, String> namesById = new HashMap<>();

    private InMemoryManager(int numLocks) {
        super(OptionalInt.of(numLocks));
        this.numLocks = numLocks;
        this.mutexes = new AtomicReferenceArray<>(numLocks);
    }

    /**
     * Creates an in-memory manager with {@code numLocks} locks, IDs {@code 0 .. numLocks - 1}.
     *
     * @param numLocks the lock count, 1 to {@value #MAX_LOCKS}
     * @return the manager
     * @throws IllegalArgumentException if the lock count is out of range
     */
    public static InMemoryManager create(int numLocks) {
        if (numLocks < 1 || numLocks > MAX_LOCKS) {
            throw new IllegalArgumentException("An in-memory manager needs 1 to " + MAX_LOCKS + " locks, but "
                    + numLocks + " were requested; pass a lock count in that range");
        }
        return new InMemoryManager(numLocks);
    }

    @Override
    protected AbstractLocker lockerFor(int id) {
        Mutex mutex = mutexes.get(id);
        if (mutex == null) {
            Mutex created = new Mutex(this, id);
            mutex = mutexes.compareAndExchange(id, null, created);
            if (mutex == null) {
                mutex = created;
            }
        }
        return mutex;
    }

    @Override
    protected synchronized int allocateLowestFree() {
        int id = allocated.nextClearBit(0);
        if (id >= numLocks) {
            throw new LocksExhaustedException(
                    numLocks, "InMemoryManager.create(numLocks) or interlock.memory.num-locks");
        }
        allocated.set(id);
        return id;
    }

    @Override
    protected synchronized void allocate(int id) {
        if (allocated.get(id)) {
            throw new LockAlreadyAllocatedException(id);
        }
        allocated.set(id);
    }

    @Override
    protected synchronized void deallocate(int id) {
        if (!allocated.get(id)) {
            throw new LockNotAllocatedException(id);
        }
        allocated.clear(id);
        String name = namesById.remove(id);
        if (name != null) {
            idsByName.remove(name);
        }
    }

    @Override
    protected synchronized void deallocateAll() {
        allocated.clear();
        idsByName.clear();
        namesById.clear();
    }

    @Override
    protected synchronized OptionalInt countAvailable() {
        return OptionalInt.of(numLocks - allocated.cardinality());
    }

    @Override
    protected synchronized int countAllocated() {
        return allocated.cardinality();
    }

    @Override
    protected List<HeldLock> readHeld() {
        List<HeldLock> held = new ArrayList<>();
        for (int id = 0; id < numLocks; id++) {
            Mutex mutex = mutexes.get(id);
            if (mutex != null && mutex.isLocked()) {
                held.add(new HeldLock(
                        id,
                        Optional.ofNullable(nameOf(id)),
                        OptionalLong.of(PID),
                        Optional.<Instant>empty(),
                        Optional.empty(),
                        mutex.drawnToken()));
            }
        }
        return held;
    }

    /** Reads each created mutex's state, a volatile load; a mutex is only ever held by its manager. */
    @Override
    protected int[] idsHeldHere() {
        return IntStream.range(0, numLocks)
                .filter(id -> {
                    Mutex mutex = mutexes.get(id);
                    return mutex != null && mutex.isLocked();
                })
                .toArray();
    }

    private synchronized @Nullable String nameOf(int id) {
        return namesById.get(id);
    }

    /**
     * Copies the bindings without holding {@code this}: the skip list's iterator is weakly
     * consistent. Entry by entry on purpose: {@code new TreeMap<>(sortedMap)} trusts the size read
     * before iterating and fails when a binding is freed meanwhile.
     */
    @Override
    protected SortedMap<String, Integer> readNames() {
        TreeMap<String, Integer> names = new TreeMap<>();
        for (Map.Entry<String, Integer> binding : idsByName.entrySet()) {
            names.put(binding.getKey(), binding.getValue());
        }
        return Collections.unmodifiableSortedMap(names);
    }

    @Override
    protected synchronized Locker bindName(String name) {
        Integer id = idsByName.get(name);
        if (id == null) {
            id = allocateLowestFree();
            idsByName.put(name, id);
            namesById.put(id, name);
        }
        return lockerFor(id);
    }

    /** Reads the concurrent map without holding {@code this}. */
    @Override
    protected OptionalInt boundId(String key) {
        Integer id = idsByName.get(key);
        return id == null ? OptionalInt.empty() : OptionalInt.of(id);
    }

    @Override
    protected void closeStorage() {
        // Nothing to release: the locks are plain objects of this JVM.
    }

    @Override
    public String toString() {
        return "InMemoryManager(" + numLocks + " locks)";
    }
}
