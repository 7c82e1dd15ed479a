package dev.interlock.support;

import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.jspecify.annotations.Nullable;

/**
 * The locks one manager instance holds, each with the thread that acquired it. For most backends
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
     * Never started; no real holder is this thread.
     */
    static final Thread RELEASING = new Thread("interlock-releasing");

    /**
     * A table for IDs {@code 0 .. numLocks - 1}, backed by an array: no allocation on the hot path.
     */
    static HolderThreads bounded(int numLocks) {
        return new Bounded(numLocks);
    }

    /** A table for backends without a fixed lock count, backed by a concurrent map. */
    static HolderThreads unbounded() {
        return new Unbounded();
    }

    /** Returns the thread that acquired lock {@code id} through this manager, or null if not held. */
    abstract @Nullable Thread get(int id);

    /** Records that {@code thread} acquired lock {@code id}; a full fence, see AbstractLocker. */
    abstract void set(int id, Thread thread);

    /** Clears the entry if it still names {@code expected}; exactly one of racing callers wins. */
    abstract boolean clear(int id, Thread expected);

    /** Replaces the entry with {@code value} if it still names {@code expected}; one racer wins. */
    abstract boolean replace(int id, Thread expected, @Nullable Thread value);

    /** Returns the entry of lock {@code id} with a plain load: for the thread that wrote it. */
    abstract @Nullable Thread getPlain(int id);

    /** Writes the entry of lock {@code id} with a plain store: no fence, see the class comment. */
    abstract void setPlain(int id, @Nullable Thread thread);

    /** Returns the IDs held right now, ascending. */
    abstract int[] heldIds();

    /**
     * An array with the entries of neighbouring IDs at least {@code SPREAD - 1} slots apart (over
     * 120 bytes, and {@value #SPREAD} slots within a column): consecutive IDs
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

        /** Entries per 128 bytes with 4-byte compressed references; wider without them is fine too. */
        private static final int SPREAD = 32;

        private static final int SPREAD_SHIFT = Integer.numberOfTrailingZeros(SPREAD);

        /** Empty entries before the first and after the last: over 120 bytes, as between IDs. */
        private static final int PADDING = SPREAD;

        private final int numLocks;

        private final int rowMask;

        private final int rowShift;

        private final AtomicReferenceArray<@Nullable Thread> holders;

        Bounded(int numLocks) {
            int rowsNeeded = (numLocks - 1) / SPREAD + 1;
            int rows = rowsNeeded == 1 ? 1 : Integer.highestOneBit(rowsNeeded - 1) << 1;
            this.numLocks = numLocks;
            this.rowMask = rows - 1;
            this.rowShift = Integer.numberOfTrailingZeros(rows);
            this.holders = new AtomicReferenceArray<>(PADDING + rows * SPREAD + PADDING);
        }

        /** The array index of {@code id}'s entry. */
        int slot(int id) {
            return PADDING + (((id & rowMask) << SPREAD_SHIFT) | (id >>> rowShift));
        }

        @Override
        @Nullable
        Thread get(int id) {
            return holders.get(slot(id));
        }

        @Override
        void set(int id, Thread thread) {
            holders.set(slot(id), thread);
        }

        @Override
        boolean clear(int id, Thread expected) {
            return holders.compareAndSet(slot(id), expected, null);
        }

        @Override
        boolean replace(int id, Thread expected, @Nullable Thread value) {
            return holders.compareAndSet(slot(id), expected, value);
        }

        @Override
        @Nullable
        Thread getPlain(int id) {
            return holders.getPlain(slot(id));
        }

        @Override
        void setPlain(int id, @Nullable Thread thread) {
            holders.setPlain(slot(id), thread);
        }

        @Override
        int[] heldIds() {
            int[] ids = new int[8];
            int count = 0;
            for (int id = 0; id < numLocks; id++) {
                if (get(id) != null) {
                    if (count == ids.length) {
                        ids = Arrays.copyOf(ids, count * 2);
                    }
                    ids[count++] = id;
                }
            }
            return Arrays.copyOf(ids, count);
        }
    }

    private static final class Unbounded extends HolderThreads {

        private final ConcurrentHashMap<Integer, Thread> holders = new ConcurrentHashMap<>();

        @Override
        @Nullable
        Thread get(int id) {
            return holders.get(id);
        }

        @Override
        void set(int id, Thread thread) {
            holders.put(id, thread);
        }

        @Override
        boolean clear(int id, Thread expected) {
            return holders.remove(id, expected);
        }

        @Override
        boolean replace(int id, Thread expected, @Nullable Thread value) {
            return value == null ? holders.remove(id, expected) : holders.replace(id, expected, value);
        }

        @Override
        @Nullable
        Thread getPlain(int id) {
            return holders.get(id);
        }

        @Override
        void setPlain(int id, @Nullable Thread thread) {
            if (thread == null) {
                holders.remove(id);
            } else {
                holders.put(id, thread);
            }
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
