package dev.interlock.shm;

import dev.interlock.LockAlreadyAllocatedException;
import dev.interlock.LockNotAllocatedException;
import dev.interlock.LockStorageException;
import dev.interlock.LocksExhaustedException;
import dev.interlock.ManagerClosedException;
import java.lang.invoke.VarHandle;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collections;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
 * <p>Operations in flight are counted ({@link #lock()} to {@link #unlock}): {@link
 * #closeWhenIdle} waits for them before the session ends. The allocator lock is not in the
 * holder table that {@code close()} releases, and closing the session while a thread of this
 * manager is half-way through an allocation would let another process judge this manager dead,
 * take the allocator over and repair the state under the live thread's hands.
 *
 * @author Interlock team
 */
final class Allocator {

    /**
     * Test hook, called with a step name at the points where tests pause or fail an operation:
     * {@code "allocate"} after the lowest free ID was found and before it is marked, {@code
     * "repair"} at the start of {@link #repair()}. Null (one volatile read) outside tests.
     */
    static volatile @Nullable Consumer<String> testHook;

    private static final Logger logger = LoggerFactory.getLogger(Allocator.class);

    /** How long {@link #closeWhenIdle} waits between two warnings about operations still running. */
    private static final long CLOSE_WARNING_NANOS = TimeUnit.SECONDS.toNanos(5);

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

    private final String path;

    private final String owner;

    /** Guards {@link #inFlight} and {@link #closing}; never held while waiting for the allocator lock. */
    private final ReentrantLock gate = new ReentrantLock();

    private final Condition idle = gate.newCondition();

    /**
     * Held by the one thread of this manager that holds or waits for the allocator lock. So a
     * waiter that finds the word naming this manager's own session knows that no thread of it
     * holds the lock: the word is corrupt (a session that got the token a corrupted word already
     * had), and {@code LockWords} takes it over like a dead holder's instead of waiting for itself
     * forever.
     */
    private final ReentrantLock serial = new ReentrantLock();

    /** Threads of this manager between {@link #lock()} and {@link #unlock}; guarded by {@link #gate}. */
    private int inFlight;

    /** Set by {@link #closeWhenIdle}: no new operation starts; guarded by {@link #gate}. */
    private boolean closing;

    /** Turns a page-aligned range of the segment file into a hole; {@code false} if unsupported. */
    interface HolePuncher {

        /**
         * Frees the pages of {@code [offset, offset + length)} in the segment file; they read as
         * zero afterwards, in every process that maps them.
         *
         * @return whether the file system did it
         */
        boolean punch(long offset, long length);
    }

    private final HolePuncher holePuncher;

    Allocator(
            ShmSegment segment, ShmLayout layout, LockWords words, HolePuncher holePuncher, String path, String owner) {
        this.holePuncher = holePuncher;
        this.segment = segment;
        this.layout = layout;
        this.words = words;
        this.indexMask = layout.indexCapacity - 1;
        this.path = path;
        this.owner = owner;
    }

    int allocateLowestFree() {
        return underLock(() -> {
            int id = lowestFree();
            if (id < 0) {
                throw new LocksExhaustedException(layout.lockCount, HOW_TO_RAISE);
            }
            hook("allocate");
            clearStaleName(id);
            markAllocated(id);
            return id;
        });
    }

    void allocate(int id) {
        underLock(() -> {
            if (isAllocated(id)) {
                throw new LockAlreadyAllocatedException(id);
            }
            clearStaleName(id);
            markAllocated(id);
            return null;
        });
    }

    void deallocate(int id) {
        underLock(() -> {
            if (!isAllocated(id)) {
                throw new LockNotAllocatedException(id);
            }
            int nameLength = segment.intPlain(layout.nameSlotOffset(id));
            // A length out of range was written by someone else: there is no name to unindex.
            if (nameLength > 0 && nameLength <= ShmLayout.MAX_NAME_BYTES) {
                byte[] bytes = nameBytes(id, nameLength);
                int entry = find(new String(bytes, StandardCharsets.UTF_8).hashCode(), bytes);
                if (entry >= 0) {
                    removeEntry(entry);
                }
            }
            markFree(id);
            writeNameSlot(id, null);
            return null;
        });
    }

    void deallocateAll() {
        underLock(() -> {
            for (int word = 0; word < layout.bitmapWords; word++) {
                long bits = segment.longPlain(bitmapOffset(word));
                for (; bits != 0; bits &= bits - 1) {
                    writeNameSlot(word * Long.SIZE + Long.numberOfTrailingZeros(bits), null);
                }
                segment.longPlain(bitmapOffset(word), 0);
            }
            clearDerived();
            return null;
        });
    }

    /** Reads the allocated count without taking the allocator lock. */
    int countAllocated() {
        return (int) segment.longAcquire(COUNT);
    }

    /** Returns the ID bound to {@code name}, binding the lowest free ID to it if it has none. */
    int bindName(String name) {
        byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
        int hash = name.hashCode();
        return underLock(() -> {
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
        });
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
        // A free ID has no name; its slot may still hold one left by a writer that died, which the
        // next allocation of the ID clears (repair leaves free IDs alone).
        if ((segment.longAcquire(bitmapOffset(id / Long.SIZE)) & (1L << id)) == 0) {
            return Optional.empty();
        }
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
        int current = segment.intPlain(version);
        // The next odd value: a version left odd by a writer that died (repair skips unallocated
        // IDs, section 11) is healed here instead of being made even by this very write.
        int odd = (current & 1) == 0 ? current + 1 : current + 2;
        segment.intRelease(version, odd);
        // The odd version must be visible before any byte of the slot changes.
        VarHandle.storeStoreFence();
        if (bytes != null) {
            segment.bytesPlain(slot + ShmLayout.NAME_BYTES_OFFSET, bytes);
        }
        segment.intRelease(slot + ShmLayout.NAME_LENGTH_OFFSET, bytes == null ? 0 : bytes.length);
        segment.intRelease(version, odd + 1);
    }

    /**
     * Makes allocation state consistent after the allocator lock was taken over from a dead
     * holder, which may have stopped between any two writes (section 11), touching only what can
     * be inconsistent, so that a recovery on a large segment costs memory in proportion to the
     * allocated IDs, not to the lock count:
     *
     * <ol>
     *   <li>For every allocated ID: a name version left odd is made even (the slot holds either
     *       the old or the new name, because the length is written last), and a length out of
     *       range is cleared.
     *   <li>Free IDs are not read: a stale name or odd version left on one (a bind that died
     *       before setting the bit, a free that died after clearing it) is invisible to readers,
     *       who look at allocated IDs only, and is cleared when the ID is next allocated ({@link
     *       #clearStaleName}, {@link #writeNameSlot}).
     *   <li>The summary and the count are recomputed from the bitmap.
     *   <li>The index is emptied by punching a hole into the file (the pages are freed, not read)
     *       and rebuilt from the named, allocated IDs.
     * </ol>
     *
     * Called while holding the allocator lock.
     */
    void repair() {
        hook("repair");
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
                int version = layout.recordOffset(id) + ShmLayout.NAME_VERSION_OFFSET;
                int stable = segment.intPlain(version);
                if ((stable & 1) != 0) {
                    segment.intRelease(version, stable + 1);
                }
                int length = segment.intPlain(layout.nameSlotOffset(id));
                if (length < 0 || length > ShmLayout.MAX_NAME_BYTES) {
                    writeNameSlot(id, null);
                } else if (length > 0) {
                    insert(new String(nameBytes(id, length), StandardCharsets.UTF_8).hashCode(), id);
                }
            }
        }
        segment.longRelease(COUNT, count);
    }

    /**
     * Clears what a dead writer may have left in the name slot of {@code id}, which is about to be
     * allocated without a name: a name (a bind that died before setting the bit, a free that died
     * after clearing it) or an odd version. Two reads when there is nothing to clear.
     */
    private void clearStaleName(int id) {
        int version = segment.intPlain(layout.recordOffset(id) + ShmLayout.NAME_VERSION_OFFSET);
        if ((version & 1) != 0 || segment.intPlain(layout.nameSlotOffset(id)) != 0) {
            writeNameSlot(id, null);
        }
    }

    /**
     * Runs {@code operation} under the allocator lock, as one operation in flight. A failure to
     * release the lock (it was taken over meanwhile) is reported even when {@code operation}
     * failed too, as a suppressed exception of that failure.
     */
    private <T> T underLock(Supplier<T> operation) {
        lock();
        T result;
        try {
            result = operation.get();
        } catch (Throwable failure) {
            unlock(failure);
            throw failure;
        }
        unlock(null);
        return result;
    }

    /**
     * Marks this manager closing, then waits until no thread of it is inside an allocator
     * operation: threads waiting for the allocator lock give up within 50 ms once the manager is
     * closed, and a holder finishes its few memory writes. Only then may the session end.
     */
    void closeWhenIdle() {
        gate.lock();
        try {
            closing = true;
            long waited = 0;
            while (inFlight > 0) {
                long left = idle.awaitNanos(CLOSE_WARNING_NANOS);
                if (left <= 0 && inFlight > 0) {
                    waited += CLOSE_WARNING_NANOS;
                    logger.warn(
                            "Closing {} has waited {} s for {} allocator operation(s) of its own threads to"
                                    + " finish; it ends its session only after them, so that no other"
                                    + " process takes the allocator over from a live holder",
                            owner,
                            TimeUnit.NANOSECONDS.toSeconds(waited),
                            inFlight);
                }
            }
        } catch (InterruptedException ex) {
            // Keep waiting: ending the session now would hand the allocator to another process
            // while our thread still writes. Restore the status afterwards.
            closeWhenIdleUninterruptibly();
            Thread.currentThread().interrupt();
        } finally {
            gate.unlock();
        }
    }

    private void closeWhenIdleUninterruptibly() {
        while (inFlight > 0) {
            idle.awaitUninterruptibly();
        }
    }

    private void enter() {
        gate.lock();
        try {
            if (closing) {
                throw new ManagerClosedException(owner);
            }
            inFlight++;
        } finally {
            gate.unlock();
        }
    }

    private void exit() {
        gate.lock();
        try {
            if (--inFlight == 0) {
                idle.signalAll();
            }
        } finally {
            gate.unlock();
        }
    }

    private void lock() {
        enter();
        serial.lock();
        try {
            acquireWord();
        } catch (Throwable ex) {
            serial.unlock();
            exit();
            throw ex;
        }
    }

    private void acquireWord() {
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

    /**
     * Releases the allocator lock and ends the operation in flight. A release that finds the lock
     * word no longer ours means another process took the allocator over while this operation was
     * changing the allocation state: that is reported, never ignored.
     *
     * @param failure the operation's own failure, to which a lost lock is added as suppressed
     */
    private void unlock(@Nullable Throwable failure) {
        boolean released;
        try {
            released = words.release(RECORD, -1);
        } finally {
            serial.unlock();
            exit();
        }
        if (!released) {
            LockStorageException lost = new LockStorageException(
                    path,
                    "The allocator lock of shared-memory segment " + path + " was taken over by another process"
                            + " while " + owner + " (session " + words.sessionToken() + ") was changing the"
                            + " allocation state under it: that process judged this manager dead and repaired the"
                            + " state concurrently, so this operation's result (an ID, a name binding or a free)"
                            + " may be wrong; check it with lockNames()/allocatedLocks(), and report this: it"
                            + " means the session's liveness lock was lost while the manager was open");
            if (failure != null) {
                failure.addSuppressed(lost);
            } else {
                throw lost;
            }
        }
    }

    private void hook(String step) {
        Consumer<String> hook = testHook;
        if (hook != null) {
            hook.accept(step);
        }
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
                if (bits == -1L) {
                    // The summary says "not full" but the word is full: the summary was damaged
                    // (it is derived). Correct it and look further, rather than hand out an ID of
                    // the next word that may be allocated already.
                    setSummaryBit(word, true);
                    summary--;
                    continue;
                }
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
        zeroIndex();
        segment.longRelease(COUNT, 0);
    }

    /**
     * Empties the name index without reading it: the whole pages of the region become a hole in
     * the file (freed memory that reads as zero in every process), and only the partial pages at
     * its ends are written. Falls back to clearing non-zero entries one by one if the file system
     * cannot punch holes.
     */
    private void zeroIndex() {
        int start = layout.indexOffset;
        int end = start + layout.indexCapacity * Long.BYTES;
        int firstPage = (start + ShmLayout.PAGE_LENGTH - 1) / ShmLayout.PAGE_LENGTH * ShmLayout.PAGE_LENGTH;
        int lastPage = end / ShmLayout.PAGE_LENGTH * ShmLayout.PAGE_LENGTH;
        if (firstPage < lastPage && holePuncher.punch(firstPage, lastPage - firstPage)) {
            zeroEntries(start, firstPage);
            zeroEntries(lastPage, end);
        } else {
            zeroEntries(start, end);
        }
    }

    private void zeroEntries(int from, int to) {
        for (int offset = from; offset < to; offset += Long.BYTES) {
            if (segment.longPlain(offset) != 0) {
                segment.longPlain(offset, 0);
            }
        }
    }

    private int bitmapOffset(int word) {
        return ShmLayout.BITMAP_OFFSET + word * Long.BYTES;
    }

    // --- Name index: open addressing with linear probing, entries (hash << 32 | id + 1) ------

    /**
     * Finds the entry of the name {@code bytes}. Entries whose ID is out of range (written by
     * someone else) never match; a probe that finds no empty entry in the whole index ends too.
     */
    private int find(int hash, byte[] bytes) {
        int entry = home(hash);
        for (int probes = 0; probes < layout.indexCapacity; probes++, entry = (entry + 1) & indexMask) {
            long value = segment.longPlain(entryOffset(entry));
            if (value == 0) {
                return -1;
            }
            int id = idOf(value);
            if ((int) (value >>> 32) == hash && id >= 0 && id < layout.lockCount && isAllocated(id)) {
                int length = segment.intPlain(layout.nameSlotOffset(id));
                if (length == bytes.length && Arrays.equals(nameBytes(id, length), bytes)) {
                    return entry;
                }
            }
        }
        return -1;
    }

    private void insert(int hash, int id) {
        int entry = home(hash);
        for (int probes = 0; segment.longPlain(entryOffset(entry)) != 0; probes++) {
            if (probes == layout.indexCapacity) {
                // At most lockCount of 4 x lockCount entries are ever in use: a full index was
                // filled by someone else.
                throw new LockStorageException(
                        path,
                        "The name index of shared-memory segment " + path + " has no free entry among its "
                                + layout.indexCapacity + ", although at most " + layout.lockCount
                                + " names can be bound: another program wrote into the segment; when no process"
                                + " uses it, remove it with SHMLockManager.unlink(\"" + path + "\") and create it"
                                + " again");
            }
            entry = (entry + 1) & indexMask;
        }
        segment.longPlain(entryOffset(entry), (long) hash << 32 | (id + 1));
    }

    /** Removes an entry by shifting later entries of the probe sequence back: no tombstones. */
    private void removeEntry(int hole) {
        int next = hole;
        // Bounded: an index without an empty entry (filled by someone else) must not hang us.
        for (int probes = 1; probes < layout.indexCapacity; probes++) {
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
