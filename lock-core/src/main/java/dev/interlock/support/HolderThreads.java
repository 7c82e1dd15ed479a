package dev.interlock.support;

import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.jspecify.annotations.Nullable;

/**
 * The locks one manager instance holds, each with the thread that acquired it. An entry exists
 * exactly while the manager holds the lock: it is set after the backend acquired the lock and
 * cleared, by a single winning compare-and-set, before the backend releases it. That makes this
 * table both the ownership check for {@code unlock} and the self-deadlock check for {@code lock}.
 *
 * @author Interlock team
 */
abstract sealed class HolderThreads {

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

    /** Returns the IDs held right now, ascending. */
    abstract int[] heldIds();

    private static final class Bounded extends HolderThreads {

        private final AtomicReferenceArray<@Nullable Thread> holders;

        Bounded(int numLocks) {
            this.holders = new AtomicReferenceArray<>(numLocks);
        }

        @Override
        @Nullable
        Thread get(int id) {
            return holders.get(id);
        }

        @Override
        void set(int id, Thread thread) {
            holders.set(id, thread);
        }

        @Override
        boolean clear(int id, Thread expected) {
            return holders.compareAndSet(id, expected, null);
        }

        @Override
        int[] heldIds() {
            int[] ids = new int[8];
            int count = 0;
            for (int id = 0; id < holders.length(); id++) {
                if (holders.get(id) != null) {
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
        int[] heldIds() {
            return holders.keySet().stream()
                    .mapToInt(Integer::intValue)
                    .sorted()
                    .toArray();
        }
    }
}
