package dev.interlock.shm;

/**
 * The layout of a shared-memory segment, version {@value #VERSION}: every offset and size in one
 * place. The specification with diagrams and procedures is {@code docs/shm-layout.md}; the
 * section numbers below refer to it. All fields are in the machine's native byte order (little
 * endian on x86-64 and AArch64, the only architectures {@link NativeCalls} supports).
 *
 * <pre>
 *   0        64       128                     BITMAP_OFFSET
 *   +--------+--------+-----------------------+--------+---------+-----------------+-------+--------------+
 *   | header | alloc. |  owner table          | bitmap | summary | lock records    | name  | names        |
 *   |        | record |  OWNER_SLOTS x 16 B   |        |         | lockCount x 64 B| index | lockCount x  |
 *   |        |        |                       |        |         |                 |       | 1024 B       |
 *   +--------+--------+-----------------------+--------+---------+-----------------+-------+--------------+
 * </pre>
 *
 * <p>Section 2, header (cache line 0, written once before the segment is published):
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                 Magic "INTRLOCK" (8 bytes)                   ...
 *  ...                                                             |
 *  +---------------------------------------------------------------+
 *  |                 Layout version (int32)                        |
 *  +---------------------------------------------------------------+
 *  |                 Lock count (int32)                            |
 *  +---------------------------------------------------------------+
 *  |                 Segment size in bytes (int64)                ...
 *  ...                                                             |
 *  +---------------------------------------------------------------+
 *  |                 Owner slot count (int32)                      |
 *  +---------------------------------------------------------------+
 *  |                 Name index capacity (int32)                   |
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * <p>Sections 4 and 5, a lock record (one per lock and one for the allocator, each on its own
 * cache line so that no two lock words share one):
 *
 * <pre>
 *  +---------------------------------------------------------------+
 *  |                 Lock word (int32, the futex word)             |
 *  +---------------------------------------------------------------+
 *  |                 Name version (int32, even when stable)        |
 *  +---------------------------------------------------------------+
 *  |                 Held since, epoch millis (int64)             ...
 *  ...                                                             |
 *  +---------------------------------------------------------------+
 *  |                 Fencing counter (int64)                      ...
 *  ...                                                             |
 *  +---------------------------------------------------------------+
 *  |                 Allocated count (int64; allocator record only)...
 *  ...                                                             |
 *  +---------------------------------------------------------------+
 *  |                 Padding to 64 bytes                          ...
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * <p>Section 3, an owner slot (one per attached manager instance):
 *
 * <pre>
 *  +---------------------------------------------------------------+
 *  |                 Session token (int32)                         |
 *  +---------------------------------------------------------------+
 *  |                 Pid as seen by the owner itself (int32)       |
 *  +---------------------------------------------------------------+
 *  |                 Attached at, epoch millis (int64)            ...
 *  ...                                                             |
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * <p>Section 6, lock word bits: bit 31 is {@link #WAITERS_BIT}, bit 30 {@link #HANDOFF_BIT}; bits
 * 0..29 are the holder's session token, or all zero when the lock is free or handed off. A token is
 * {@code generation << SLOT_BITS | slot} with a generation of 1 or more, so a held word's token is
 * never 0.
 *
 * @author Interlock team
 */
final class ShmLayout {

    /** Layout version written to and expected in the header. */
    static final int VERSION = 5;

    /** The bytes {@code INTRLOCK} read as a little-endian long. */
    static final long MAGIC = 0x4B434F4C52544E49L;

    /** Size of a cache line; records and regions are aligned to it. */
    static final int CACHE_LINE_LENGTH = 64;

    /** Size of a page; the segment size is a multiple of it. */
    static final int PAGE_LENGTH = 4096;

    /** Locks per allocation word: the lock count is rounded up to a multiple of this. */
    static final int ALLOCATION_WORD_BITS = Long.SIZE;

    /** Largest lock count, so that the whole segment fits into one mapping (under 2 GiB). */
    static final int MAX_LOCKS = 1 << 20;

    // --- Lock word (section 6) -------------------------------------------------------------

    /** Set while at least one waiter may sleep on the lock word; the unlocker then wakes one. */
    static final int WAITERS_BIT = 1 << 31;

    /**
     * With a token: a waiter has starved, so the unlocker hands the lock over instead of freeing it.
     * Without a token: the lock is handed off, and only a waiter that has starved may take it.
     */
    static final int HANDOFF_BIT = 1 << 30;

    /** The holder's session token in a lock word. */
    static final int TOKEN_MASK = HANDOFF_BIT - 1;

    /** Bits of a session token that hold the owner slot index. */
    static final int SLOT_BITS = 10;

    /** Number of owner slots: how many manager instances may be attached at once. */
    static final int OWNER_SLOTS = 1 << SLOT_BITS;

    /** Mask of the slot index in a token. */
    static final int SLOT_MASK = OWNER_SLOTS - 1;

    /**
     * The retired generation, never given to a session: at a generation wrap, the claimant rewrites
     * every lock word that still holds a token of its slot to this generation (section 3), so that
     * a recycled token never names an abandoned lock.
     */
    static final int RETIRED_GENERATION = (1 << (30 - SLOT_BITS)) - 1;

    /** Largest generation given to a session; after it a slot's generation wraps to 1. */
    static final int MAX_GENERATION = RETIRED_GENERATION - 1;

    // --- Header (section 2) ----------------------------------------------------------------

    static final int MAGIC_OFFSET = 0;

    static final int VERSION_OFFSET = MAGIC_OFFSET + Long.BYTES;

    static final int LOCK_COUNT_OFFSET = VERSION_OFFSET + Integer.BYTES;

    static final int SEGMENT_SIZE_OFFSET = LOCK_COUNT_OFFSET + Integer.BYTES;

    static final int OWNER_SLOT_COUNT_OFFSET = SEGMENT_SIZE_OFFSET + Long.BYTES;

    static final int INDEX_CAPACITY_OFFSET = OWNER_SLOT_COUNT_OFFSET + Integer.BYTES;

    // --- Lock record (sections 4, 5) -------------------------------------------------------

    static final int LOCK_WORD_OFFSET = 0;

    /**
     * Section 7: a sequence number of the lock's name slot, raised to an odd value before the
     * slot changes and to the next even value after, so that readers without the allocator lock
     * can tell a stable copy from a torn one.
     */
    static final int NAME_VERSION_OFFSET = LOCK_WORD_OFFSET + Integer.BYTES;

    /**
     * Section 4: epoch millis (coarse) of the current hold's acquisition, written by the holder; its
     * top bit is {@link #TOKEN_DRAWN_BIT}.
     */
    static final int HELD_SINCE_OFFSET = NAME_VERSION_OFFSET + Integer.BYTES;

    /**
     * Section 4.1: the top bit of the held-since field, set once the current hold drew its fencing
     * token; acquisition writes held-since without it.
     */
    static final long TOKEN_DRAWN_BIT = Long.MIN_VALUE;

    /**
     * Section 4.1: the fencing token of the last hold that drew one, raised by one by the first
     * request for a token in each hold (not by holds that never ask), and never reset while the
     * segment exists; written only by the holder.
     */
    static final int FENCE_OFFSET = HELD_SINCE_OFFSET + Long.BYTES;

    /** In the allocator record only: how many IDs are allocated. */
    static final int ALLOCATED_COUNT_OFFSET = FENCE_OFFSET + Long.BYTES;

    static final int RECORD_LENGTH = CACHE_LINE_LENGTH;

    /** The allocator lock's record: the second cache line of the segment. */
    static final int ALLOCATOR_RECORD_OFFSET = CACHE_LINE_LENGTH;

    static final int HEADER_LENGTH = ALLOCATOR_RECORD_OFFSET + RECORD_LENGTH;

    // --- Owner table (section 3) -----------------------------------------------------------

    static final int SLOT_TOKEN_OFFSET = 0;

    static final int SLOT_PID_OFFSET = SLOT_TOKEN_OFFSET + Integer.BYTES;

    static final int SLOT_ATTACHED_OFFSET = SLOT_PID_OFFSET + Integer.BYTES;

    static final int OWNER_SLOT_LENGTH = SLOT_ATTACHED_OFFSET + Long.BYTES;

    static final int OWNER_TABLE_OFFSET = HEADER_LENGTH;

    static final int BITMAP_OFFSET = OWNER_TABLE_OFFSET + OWNER_SLOTS * OWNER_SLOT_LENGTH;

    // --- Names (section 7) -----------------------------------------------------------------

    static final int NAME_LENGTH_OFFSET = 0;

    static final int NAME_BYTES_OFFSET = NAME_LENGTH_OFFSET + Integer.BYTES;

    /** 255 code points of at most 4 UTF-8 bytes each. */
    static final int MAX_NAME_BYTES = 1020;

    static final int NAME_SLOT_LENGTH = NAME_BYTES_OFFSET + MAX_NAME_BYTES;

    // --- Regions that depend on the lock count ---------------------------------------------

    final int lockCount;

    final int bitmapWords;

    final int summaryOffset;

    final int summaryWords;

    final int recordsOffset;

    /** Half the lock count: records are laid out as two columns of this many rows. */
    private final int recordRows;

    final int indexOffset;

    final int indexCapacity;

    final int namesOffset;

    final long segmentSize;

    /**
     * Computes the layout for {@code lockCount} locks, a multiple of {@link
     * #ALLOCATION_WORD_BITS} from 64 to {@link #MAX_LOCKS}.
     */
    ShmLayout(int lockCount) {
        this.lockCount = lockCount;
        this.bitmapWords = lockCount / ALLOCATION_WORD_BITS;
        this.summaryOffset = alignToCacheLine(BITMAP_OFFSET + (long) bitmapWords * Long.BYTES);
        this.summaryWords = (bitmapWords + Long.SIZE - 1) / Long.SIZE;
        this.recordsOffset = alignToCacheLine(summaryOffset + (long) summaryWords * Long.BYTES);
        this.recordRows = lockCount / 2;
        this.indexOffset = alignToCacheLine(recordsOffset + (long) lockCount * RECORD_LENGTH);
        // A power of two at least twice the lock count keeps linear probes short.
        this.indexCapacity = Integer.highestOneBit(lockCount) * 4;
        this.namesOffset = alignToCacheLine(indexOffset + (long) indexCapacity * Long.BYTES);
        long end = namesOffset + (long) lockCount * NAME_SLOT_LENGTH;
        this.segmentSize = (end + PAGE_LENGTH - 1) / PAGE_LENGTH * PAGE_LENGTH;
    }

    /**
     * Rounds a requested lock count up to a whole allocation word.
     *
     * @throws IllegalArgumentException if the count is not 1 to {@link #MAX_LOCKS}
     */
    static int roundedLockCount(int numLocks) {
        if (numLocks < 1 || numLocks > MAX_LOCKS) {
            throw new IllegalArgumentException("A shared-memory lock segment needs 1 to " + MAX_LOCKS
                    + " locks, but " + numLocks + " were requested; pass a lock count in that range"
                    + " (it is rounded up to a multiple of " + ALLOCATION_WORD_BITS + ")");
        }
        return (numLocks + ALLOCATION_WORD_BITS - 1) / ALLOCATION_WORD_BITS * ALLOCATION_WORD_BITS;
    }

    /**
     * Section 4: the record of lock {@code id}. Consecutive IDs, which applications use together
     * (allocation hands out the lowest free one), sit two records (128 bytes) apart: IDs {@code 0
     * .. n/2 - 1} take the even records, the rest the odd ones. Side by side, two locks of two
     * threads would share the adjacent-line prefetcher's 128-byte pair: each write to one line
     * then pulls the other into the writer's cache, and the two cores take both lines from each
     * other on every acquisition (issue 15: 8× {@code ReentrantLock} for two threads on IDs 0 and
     * 1).
     */
    int recordOffset(int id) {
        return recordsOffset + (id % recordRows * 2 + id / recordRows) * RECORD_LENGTH;
    }

    int nameSlotOffset(int id) {
        return namesOffset + id * NAME_SLOT_LENGTH;
    }

    static int ownerSlotOffset(int slot) {
        return OWNER_TABLE_OFFSET + slot * OWNER_SLOT_LENGTH;
    }

    private static int alignToCacheLine(long offset) {
        return Math.toIntExact((offset + CACHE_LINE_LENGTH - 1) / CACHE_LINE_LENGTH * CACHE_LINE_LENGTH);
    }
}
