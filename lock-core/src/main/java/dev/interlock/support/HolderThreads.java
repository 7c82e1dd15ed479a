package dev.interlock.support;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.IntStream;

/**
 * The locks one manager instance holds, each with the ID ({@link Thread#getId()}) of the thread
 * that acquired it, or {@link #NONE}. IDs rather than {@code Thread} references, because storing a
 * reference into a long-lived array costs a garbage-collector write barrier (with G1, a StoreLoad
 * fence once the array is in the old generation): on the uncontended path that barrier cost more
 * than the lock's own compare-and-set pair (issue 15: memory 9.8 ns against 5.2 ns per {@code
 * lock()}+{@code unlock()} with IDs, {@code ReentrantLock} 4.6 ns). For most backends
 * an entry exists exactly while the manager holds the lock: it is set after the backend acquired
 * the lock and cleared, by a single winning compare-and-set, before the backend releases it. That
 * makes this table both the ownership check for {@code unlock} and the self-deadlock check for
 * {@code lock}.
 *
 * <p>For a backend whose lock word says by itself whether this manager holds the lock ({@link
 * AbstractLocker#AbstractLocker(AbstractManager, int, boolean)}), the word decides ownership and
 * the entry is only a note of the acquiring thread: written with a plain store right after the
 * acquiring compare-and-set and cleared with a plain store before the releasing one, as {@code
 * ReentrantLock} records its owner, and read only on slow paths (the self-deadlock check after a
 * failed compare-and-set, {@code close()}). Such an entry may also hold {@link #RELEASING}.
 *
 * @author Interlock team
 */
abstract sealed class HolderThreads {

    /**
     * The entry of a lock whose hold a thread has claimed to end it with freeing ({@code
     * AbstractLocker.unlockFreeing}), so that {@code close()} leaves its release to that thread.
     * No thread has this ID.
     */
    static final long RELEASING = -1;

    /** The entry of a lock this manager does not hold; thread IDs are positive. */
    static final long NONE = 0;

    /**
     * A table for IDs {@code 0 .. numLocks - 1}, backed by an array: no allocation on the hot path.
     */
    static HolderThreads bounded(int numLocks) {
        return new Bounded(numLocks);
    }

    /**
     * A table for backends without a fixed lock count, backed by a concurrent map. Lock word
     * backends need a {@linkplain #bounded bounded} table.
     */
    static HolderThreads unbounded() {
        return new Unbounded();
    }

    /** Returns the ID of the thread that acquired lock {@code id} through this manager, or {@link #NONE}. */
    abstract long get(int id);

    /** Records that thread {@code threadId} acquired lock {@code id}; a full fence, see AbstractLocker. */
    abstract void set(int id, long threadId);

    /** Clears the entry if it still names {@code expected}; exactly one of racing callers wins. */
    abstract boolean clear(int id, long expected);

    /** Replaces the entry with {@code value} if it still names {@code expected}; one racer wins. */
    abstract boolean replace(int id, long expected, long value);

    /**
     * Returns this table as a bounded one, for a lock word backend's handle.
     *
     * @throws IllegalStateException if the table is unbounded
     */
    abstract Bounded asBounded();

    /** Returns the IDs held right now, ascending. */
    abstract int[] heldIds();

    /**
     * An array with the entries of neighbouring IDs at least {@code SPREAD - 1} slots apart (120
     * bytes, and {@value #SPREAD} slots within a column): consecutive IDs
     * are the ones applications use together (allocation hands out the lowest free ID), and
     * side by side they would share a cache line (and the adjacent-line prefetcher's 128-byte
     * pair), so threads working on different locks would slow each other down. The array is
     * viewed as {@code SPREAD} columns of {@code rows} entries; ID {@code id} sits in row {@code
     * id % rows} of column {@code id / rows}, computed with a mask and a shift because both are
     * powers of two. The array is at most twice as long as needed, plus {@value #PADDING}
     * empty entries at each end: the array's header holds its length, which the bounds check of
     * every access reads, for every lock; with lock 0's entry beside it, each acquisition of lock
     * 0 took that line from every thread working on any other lock (issue 15: 8× {@code
     * ReentrantLock} for two threads on locks 0 and 1). The entries after the last row keep the
     * last IDs' entries off whatever object follows the array.
     */
    static final class Bounded extends HolderThreads {

        /** Entries per 128 bytes. */
        private static final int SPREAD = 16;

        private static final int SPREAD_SHIFT = Integer.numberOfTrailingZeros(SPREAD);

        /** Empty entries before the first and after the last: 128 bytes, as between IDs. */
        private static final int PADDING = SPREAD;

        private final int numLocks;

        private final int rowMask;

        private final int rowShift;

        private static final VarHandle ENTRY = MethodHandles.arrayElementVarHandle(long[].class);

        /**
         * The entries; lock word backends write their notes into it with plain stores at a slot
         * each handle computes once ({@code AbstractLocker}), every other access goes through
         * {@link #ENTRY}.
         */
        final long[] entries;

        Bounded(int numLocks) {
            int rowsNeeded = (numLocks - 1) / SPREAD + 1;
            int rows = rowsNeeded == 1 ? 1 : Integer.highestOneBit(rowsNeeded - 1) << 1;
            this.numLocks = numLocks;
            this.rowMask = rows - 1;
            this.rowShift = Integer.numberOfTrailingZeros(rows);
            this.entries = new long[PADDING + rows * SPREAD + PADDING];
        }

        /** The array index of {@code id}'s entry. */
        int slot(int id) {
            return PADDING + (((id & rowMask) << SPREAD_SHIFT) | (id >>> rowShift));
        }

        @Override
        long get(int id) {
            return (long) ENTRY.getVolatile(entries, slot(id));
        }

        @Override
        void set(int id, long threadId) {
            ENTRY.setVolatile(entries, slot(id), threadId);
        }

        @Override
        boolean clear(int id, long expected) {
            return ENTRY.compareAndSet(entries, slot(id), expected, NONE);
        }

        @Override
        boolean replace(int id, long expected, long value) {
            return ENTRY.compareAndSet(entries, slot(id), expected, value);
        }

        @Override
        Bounded asBounded() {
            return this;
        }

        @Override
        int[] heldIds() {
            return IntStream.range(0, numLocks).filter(id -> get(id) != NONE).toArray();
        }
    }

    private static final class Unbounded extends HolderThreads {

        private final ConcurrentHashMap<Integer, Long> holders = new ConcurrentHashMap<>();

        @Override
        long get(int id) {
            return holders.getOrDefault(id, NONE);
        }

        @Override
        void set(int id, long threadId) {
            holders.put(id, threadId);
        }

        @Override
        boolean clear(int id, long expected) {
            return holders.remove(id, expected);
        }

        @Override
        boolean replace(int id, long expected, long value) {
            return value == NONE ? holders.remove(id, expected) : holders.replace(id, expected, value);
        }

        @Override
        Bounded asBounded() {
            throw new IllegalStateException("A backend whose lock word decides ownership needs a fixed lock count,"
                    + " so that each handle can note its holder in a fixed slot; this manager has none");
        }

        @Override
        int[] heldIds() {
            return holders.keySet().stream()
                    .mapToInt(Integer::intValue)
                    .sorted()
                    .toArray();
        }
    }
}
