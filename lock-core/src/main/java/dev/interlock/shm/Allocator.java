package dev.interlock.shm;

import dev.interlock.LockAlreadyAllocatedException;
import dev.interlock.LockNotAllocatedException;
import dev.interlock.LocksExhaustedException;
import java.lang.invoke.VarHandle;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collections;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.SortedMap;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * Allocation state and lock names in the segment (sections 5 and 7 of {@code
 * docs/shm-layout.md}): the allocation bitmap with its summary level, the allocated count, the
 * name slots and the name index. Every change happens under the segment's allocator lock, whose
 * record is the second cache line of the header and which is taken with the same recoverable
 * algorithm as every other lock ({@link LockWords}).
 *
 * <p>Writes are ordered so that a holder killed half-way leaves a state that {@link #repair()}
 * can make consistent again: the bitmap and the name slots are authoritative, the summary, the
 * count and the index are derived from them.
 *
 * <p>Name slots are also read without the allocator lock ({@link #nameOf}, {@link #readNames}).
 * Every change of a slot is bracketed by its lock record's name version, odd while it changes
 * (a sequence lock), so such a reader can tell a stable copy from one torn by a free and a new
 * bind of the same ID; the length alone cannot, since it may go from {@code n} to 0 and back to
 * {@code n} with other bytes while the reader copies.
 *
 * @author Interlock team
 */
final class Allocator {

    private static final int RECORD = ShmLayout.ALLOCATOR_RECORD_OFFSET;

    private static final int COUNT = RECORD + ShmLayout.ALLOCATED_COUNT_OFFSET;

    /**
     * How often a reader without the allocator lock copies a name slot that keeps changing before
     * it treats the name as being bound or freed right now, and leaves it out.
     */
    private static final int NAME_READ_ATTEMPTS = 64;

    private static final String HOW_TO_RAISE =
            "interlock.shm.num-locks or the numLocks argument of" + " SHMLockManager.create";

    private final ShmSegment segment;

    private final ShmLayout layout;

    private final LockWords words;

    private final int indexMask;

    Allocator(ShmSegment segment, ShmLayout layout, LockWords words) {
        this.segment = segment;
        this.layout = layout;
        this.words = words;
        this.indexMask = layout.indexCapacity - 1;
    }

    int allocateLowestFree() {
        lock();
        try {
            int id = lowestFree();
            if (id < 0) {
                throw new LocksExhaustedException(layout.lockCount, HOW_TO_RAISE);
            }
            markAllocated(id);
            return id;
        } finally {
            unlock();
        }
    }

    void allocate(int id) {
        lock();
        try {
            if (isAllocated(id)) {
                throw new LockAlreadyAllocatedException(id);
            }
            markAllocated(id);
        } finally {
            unlock();
        }
    }

    void deallocate(int id) {
        lock();
        try {
            if (!isAllocated(id)) {
                throw new LockNotAllocatedException(id);
            }
            int nameLength = segment.intPlain(layout.nameSlotOffset(id));
            if (nameLength > 0) {
                byte[] bytes = nameBytes(id, nameLength);
                int entry = find(new String(bytes, StandardCharsets.UTF_8).hashCode(), bytes);
                if (entry >= 0) {
                    removeEntry(entry);
                }
            }
            markFree(id);
            writeNameSlot(id, null);
        } finally {
            unlock();
        }
    }

    void deallocateAll() {
        lock();
        try {
            for (int word = 0; word < layout.bitmapWords; word++) {
                long bits = segment.longPlain(bitmapOffset(word));
                for (; bits != 0; bits &= bits - 1) {
                    writeNameSlot(word * Long.SIZE + Long.numberOfTrailingZeros(bits), null);
                }
                segment.longPlain(bitmapOffset(word), 0);
            }
            clearDerived();
        } finally {
            unlock();
        }
    }

    /** Reads the allocated count without taking the allocator lock. */
    int countAllocated() {
        return (int) segment.longAcquire(COUNT);
    }

    /** Returns the ID bound to {@code name}, binding the lowest free ID to it if it has none. */
    int bindName(String name) {
        byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
        int hash = name.hashCode();
        lock();
        try {
            int entry = find(hash, bytes);
            if (entry >= 0) {
                return idOf(segment.longPlain(entryOffset(entry)));
            }
            int id = lowestFree();
            if (id < 0) {
                throw new LocksExhaustedException(layout.lockCount, HOW_TO_RAISE);
            }
            // Name first, then the bit, then the index: see repair() for why this order.
            writeNameSlot(id, bytes);
            markAllocated(id);
            insert(hash, id);
            return id;
        } finally {
            unlock();
        }
    }

    /**
     * Returns the ID bound to {@code name} without taking the allocator lock: probes the index
     * with acquire reads and confirms a candidate by copying its name slot under the name version
     * (the sequence lock of {@link #readNameSlot}). An index entry moved by a concurrent removal
     * may be missed, so an empty result can be stale; a returned ID was bound to the name when its
     * slot was copied.
     *
     * @return the bound ID, or empty when none was found
     */
    OptionalInt boundId(String name) {
        byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
        int hash = name.hashCode();
        int entry = home(hash);
        for (int probes = 0; probes < layout.indexCapacity; probes++, entry = (entry + 1) & indexMask) {
            long value = segment.longAcquire(entryOffset(entry));
            if (value == 0) {
                break;
            }
            int id = idOf(value);
            if ((int) (value >>> 32) == hash && id >= 0 && id < layout.lockCount) {
                byte @Nullable [] slot = readNameSlot(id);
                if (slot != null && Arrays.equals(slot, bytes)) {
                    return OptionalInt.of(id);
                }
            }
        }
        return OptionalInt.empty();
    }

    /**
     * Reads the name bound to {@code id} without taking the allocator lock, for diagnostics.
     *
     * @return the name, or empty when {@code id} has none or its name is changing right now
     */
    Optional<String> nameOf(int id) {
        byte @Nullable [] bytes = readNameSlot(id);
        return bytes == null ? Optional.empty() : Optional.of(new String(bytes, StandardCharsets.UTF_8));
    }

    /**
     * Reads every bound name without taking the allocator lock: the bitmap tells which IDs to look
     * at (a hint only: a bind sets the bit after its name, a free clears it before), and each name
     * slot is copied under its name version. A slot that is changing during the call may be left
     * out; every name returned was bound to its ID when it was copied.
     *
     * @return the bound names and their IDs, sorted by name
     */
    SortedMap<String, Integer> readNames() {
        TreeMap<String, Integer> names = new TreeMap<>();
        for (int word = 0; word < layout.bitmapWords; word++) {
            for (long bits = segment.longAcquire(bitmapOffset(word)); bits != 0; bits &= bits - 1) {
                int id = word * Long.SIZE + Long.numberOfTrailingZeros(bits);
                byte @Nullable [] bytes = readNameSlot(id);
                if (bytes != null) {
                    names.put(new String(bytes, StandardCharsets.UTF_8), id);
                }
            }
        }
        return Collections.unmodifiableSortedMap(names);
    }

    /**
     * Copies the name bytes of {@code id} as a sequence-lock reader: read the name version, then
     * the length and bytes, then the version again; the copy is whole only if the version was
     * even and did not change. Retries a copy torn by a writer up to {@link #NAME_READ_ATTEMPTS}
     * times.
     *
     * @return the bytes, or {@code null} when the ID has no name or its slot kept changing
     */
    private byte @Nullable [] readNameSlot(int id) {
        int version = layout.recordOffset(id) + ShmLayout.NAME_VERSION_OFFSET;
        int slot = layout.nameSlotOffset(id);
        for (int attempt = 0; attempt < NAME_READ_ATTEMPTS; attempt++) {
            int before = segment.intAcquire(version);
            if ((before & 1) == 0) {
                int length = segment.intAcquire(slot + ShmLayout.NAME_LENGTH_OFFSET);
                byte @Nullable [] bytes = length > 0 && length <= ShmLayout.MAX_NAME_BYTES
                        ? segment.bytesPlain(slot + ShmLayout.NAME_BYTES_OFFSET, length)
                        : null;
                // The plain copy above must not move after the second read of the version.
                VarHandle.loadLoadFence();
                if (segment.intAcquire(version) == before) {
                    return bytes;
                }
            }
            Thread.onSpinWait();
        }
        return null;
    }

    /**
     * Replaces the name of {@code id} (under the allocator lock) as a sequence-lock writer: the
     * name version becomes odd before the bytes and the length change and even again after, so
     * that a reader without the lock discards a copy that overlapped the change.
     *
     * @param bytes the UTF-8 name, or {@code null} to clear it
     */
    private void writeNameSlot(int id, byte @Nullable [] bytes) {
        int version = layout.recordOffset(id) + ShmLayout.NAME_VERSION_OFFSET;
        int slot = layout.nameSlotOffset(id);
        int stable = segment.intPlain(version);
        segment.intRelease(version, stable + 1);
        // The odd version must be visible before any byte of the slot changes.
        VarHandle.storeStoreFence();
        if (bytes != null) {
            segment.bytesPlain(slot + ShmLayout.NAME_BYTES_OFFSET, bytes);
        }
        segment.intRelease(slot + ShmLayout.NAME_LENGTH_OFFSET, bytes == null ? 0 : bytes.length);
        segment.intRelease(version, stable + 2);
    }

    /**
     * Makes allocation state consistent after the allocator lock was taken over from a dead
     * holder, which may have stopped between any two writes (section 11):
     *
     * <ol>
     *   <li>A name version left odd is made even: the slot holds either the old or the new name,
     *       because the length is written last, so readers may trust it again.
     *   <li>A name slot whose ID is not allocated is cleared (bind died before setting the bit, or
     *       free died after clearing it).
     *   <li>The summary and the count are recomputed from the bitmap.
     *   <li>The index is rebuilt from the named, allocated IDs (bind died before inserting, or
     *       free after removing).
     * </ol>
     *
     * Called while holding the allocator lock.
     */
    void repair() {
        for (int id = 0; id < layout.lockCount; id++) {
            int version = layout.recordOffset(id) + ShmLayout.NAME_VERSION_OFFSET;
            int stable = segment.intPlain(version);
            if ((stable & 1) != 0) {
                segment.intRelease(version, stable + 1);
            }
            int length = segment.intPlain(layout.nameSlotOffset(id));
            if (length != 0 && (!isAllocated(id) || length < 0 || length > ShmLayout.MAX_NAME_BYTES)) {
                writeNameSlot(id, null);
            }
        }
        clearDerived();
        long count = 0;
        for (int word = 0; word < layout.bitmapWords; word++) {
            long bits = segment.longPlain(bitmapOffset(word));
            count += Long.bitCount(bits);
            if (bits == -1L) {
                setSummaryBit(word, true);
            }
            for (; bits != 0; bits &= bits - 1) {
                int id = word * Long.SIZE + Long.numberOfTrailingZeros(bits);
                int length = segment.intPlain(layout.nameSlotOffset(id));
                if (length > 0) {
                    insert(new String(nameBytes(id, length), StandardCharsets.UTF_8).hashCode(), id);
                }
            }
        }
        segment.longRelease(COUNT, count);
    }

    private void lock() {
        boolean interrupted = false;
        while (true) {
            try {
                words.acquire(RECORD, -1, Long.MAX_VALUE);
                break;
            } catch (InterruptedException ex) {
                // Held for microseconds; finish the allocation and restore the status afterwards.
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private void unlock() {
        words.release(RECORD, -1);
    }

    /** Finds the lowest free ID through the summary level: at most 1 + lockCount / 4096 reads. */
    private int lowestFree() {
        for (int summary = 0; summary < layout.summaryWords; summary++) {
            long full = segment.longPlain(layout.summaryOffset + summary * Long.BYTES);
            if (full != -1L) {
                int word = summary * Long.SIZE + Long.numberOfTrailingZeros(~full);
                if (word >= layout.bitmapWords) {
                    return -1;
                }
                long bits = segment.longPlain(bitmapOffset(word));
                return word * Long.SIZE + Long.numberOfTrailingZeros(~bits);
            }
        }
        return -1;
    }

    private boolean isAllocated(int id) {
        return (segment.longPlain(bitmapOffset(id / Long.SIZE)) & (1L << id)) != 0;
    }

    private void markAllocated(int id) {
        int word = id / Long.SIZE;
        long bits = segment.longPlain(bitmapOffset(word)) | (1L << id);
        segment.longPlain(bitmapOffset(word), bits);
        if (bits == -1L) {
            setSummaryBit(word, true);
        }
        segment.longRelease(COUNT, segment.longPlain(COUNT) + 1);
    }

    private void markFree(int id) {
        int word = id / Long.SIZE;
        segment.longPlain(bitmapOffset(word), segment.longPlain(bitmapOffset(word)) & ~(1L << id));
        setSummaryBit(word, false);
        segment.longRelease(COUNT, segment.longPlain(COUNT) - 1);
    }

    private void setSummaryBit(int word, boolean full) {
        int offset = layout.summaryOffset + word / Long.SIZE * Long.BYTES;
        long bits = segment.longPlain(offset);
        segment.longPlain(offset, full ? bits | (1L << word) : bits & ~(1L << word));
    }

    private void clearDerived() {
        for (int summary = 0; summary < layout.summaryWords; summary++) {
            segment.longPlain(layout.summaryOffset + summary * Long.BYTES, 0);
        }
        for (int entry = 0; entry < layout.indexCapacity; entry++) {
            if (segment.longPlain(entryOffset(entry)) != 0) {
                segment.longPlain(entryOffset(entry), 0);
            }
        }
        segment.longRelease(COUNT, 0);
    }

    private int bitmapOffset(int word) {
        return ShmLayout.BITMAP_OFFSET + word * Long.BYTES;
    }

    // --- Name index: open addressing with linear probing, entries (hash << 32 | id + 1) ------

    private int find(int hash, byte[] bytes) {
        for (int entry = home(hash); ; entry = (entry + 1) & indexMask) {
            long value = segment.longPlain(entryOffset(entry));
            if (value == 0) {
                return -1;
            }
            if ((int) (value >>> 32) == hash) {
                int id = idOf(value);
                int length = segment.intPlain(layout.nameSlotOffset(id));
                if (length == bytes.length && Arrays.equals(nameBytes(id, length), bytes)) {
                    return entry;
                }
            }
        }
    }

    private void insert(int hash, int id) {
        int entry = home(hash);
        while (segment.longPlain(entryOffset(entry)) != 0) {
            entry = (entry + 1) & indexMask;
        }
        segment.longPlain(entryOffset(entry), (long) hash << 32 | (id + 1));
    }

    /** Removes an entry by shifting later entries of the probe sequence back: no tombstones. */
    private void removeEntry(int hole) {
        int next = hole;
        while (true) {
            next = (next + 1) & indexMask;
            long value = segment.longPlain(entryOffset(next));
            if (value == 0) {
                break;
            }
            int home = home((int) (value >>> 32));
            if (((next - home) & indexMask) >= ((next - hole) & indexMask)) {
                segment.longPlain(entryOffset(hole), value);
                hole = next;
            }
        }
        segment.longPlain(entryOffset(hole), 0);
    }

    private int home(int hash) {
        return (hash * 0x9E3779B9) >>> 7 & indexMask;
    }

    private static int idOf(long entry) {
        return (int) entry - 1;
    }

    private int entryOffset(int entry) {
        return layout.indexOffset + entry * Long.BYTES;
    }

    private byte[] nameBytes(int id, int length) {
        return segment.bytesPlain(layout.nameSlotOffset(id) + ShmLayout.NAME_BYTES_OFFSET, length);
    }
}
