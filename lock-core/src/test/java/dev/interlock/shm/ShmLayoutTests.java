package dev.interlock.shm;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Tests for {@link ShmLayout}: alignment, separation of lock words, and the size limits that
 * {@code docs/shm-layout.md} promises.
 *
 * @author Interlock team
 */
class ShmLayoutTests {

    private static final int[] LOCK_COUNTS = {64, 128, 2048, 4096 + 64, 65_536, ShmLayout.MAX_LOCKS};

    @Test
    void magicShouldReadAsInterlockInLittleEndian() {
        byte[] bytes = ByteBuffer.allocate(Long.BYTES)
                .order(ByteOrder.LITTLE_ENDIAN)
                .putLong(ShmLayout.MAGIC)
                .array();
        assertThat(new String(bytes, StandardCharsets.US_ASCII)).isEqualTo("INTRLOCK");
    }

    @Test
    void headerFieldsShouldFitTheFirstCacheLineAndTheAllocatorTheSecond() {
        assertThat(ShmLayout.INDEX_CAPACITY_OFFSET + Integer.BYTES).isLessThanOrEqualTo(ShmLayout.CACHE_LINE_LENGTH);
        assertThat(ShmLayout.ALLOCATOR_RECORD_OFFSET).isEqualTo(ShmLayout.CACHE_LINE_LENGTH);
        assertThat(ShmLayout.ALLOCATED_COUNT_OFFSET + Long.BYTES).isLessThanOrEqualTo(ShmLayout.RECORD_LENGTH);
        assertThat(ShmLayout.OWNER_TABLE_OFFSET).isEqualTo(ShmLayout.HEADER_LENGTH);
        assertThat(ShmLayout.HELD_SINCE_OFFSET % Long.BYTES).isZero();
        assertThat(ShmLayout.SLOT_ATTACHED_OFFSET % Long.BYTES).isZero();
    }

    @Test
    void everyLockWordShouldHaveItsOwnCacheLineAndEveryRegionBeAligned() {
        for (int lockCount : LOCK_COUNTS) {
            ShmLayout layout = new ShmLayout(lockCount);
            assertThat(ShmLayout.BITMAP_OFFSET % ShmLayout.CACHE_LINE_LENGTH).isZero();
            assertThat(layout.summaryOffset).isGreaterThanOrEqualTo(ShmLayout.BITMAP_OFFSET + layout.bitmapWords * 8);
            assertThat(layout.recordsOffset).isGreaterThanOrEqualTo(layout.summaryOffset + layout.summaryWords * 8);
            assertThat(layout.indexOffset).isEqualTo(layout.recordOffset(lockCount - 1) + ShmLayout.RECORD_LENGTH);
            assertThat(layout.namesOffset).isGreaterThanOrEqualTo(layout.indexOffset + layout.indexCapacity * 8);
            for (int offset : new int[] {
                layout.summaryOffset,
                layout.recordsOffset,
                layout.indexOffset,
                layout.namesOffset,
                layout.recordOffset(1)
            }) {
                assertThat(offset % ShmLayout.CACHE_LINE_LENGTH)
                        .as("%d locks", lockCount)
                        .isZero();
            }
            assertThat(layout.recordOffset(1) - layout.recordOffset(0))
                    .as("neighbouring IDs out of each other's prefetched 128-byte pair")
                    .isEqualTo(2 * ShmLayout.CACHE_LINE_LENGTH);
            Set<Integer> records = new HashSet<>();
            for (int id = 0; id < lockCount; id++) {
                int record = layout.recordOffset(id);
                assertThat(record).isBetween(layout.recordsOffset, layout.indexOffset - ShmLayout.RECORD_LENGTH);
                assertThat(records.add(record)).as("record of %d unique", id).isTrue();
            }
            assertThat(layout.nameSlotOffset(lockCount - 1) + ShmLayout.NAME_SLOT_LENGTH)
                    .isLessThanOrEqualTo((int) layout.segmentSize);
            assertThat(layout.segmentSize % ShmLayout.PAGE_LENGTH).isZero();
        }
    }

    @Test
    void largestSegmentShouldFitOneMapping() {
        assertThat(new ShmLayout(ShmLayout.MAX_LOCKS).segmentSize).isLessThan(Integer.MAX_VALUE);
    }

    @Test
    void nameIndexShouldBeAPowerOfTwoAtLeastTwiceTheLockCount() {
        for (int lockCount : LOCK_COUNTS) {
            int capacity = new ShmLayout(lockCount).indexCapacity;
            assertThat(Integer.bitCount(capacity)).isEqualTo(1);
            assertThat(capacity).isGreaterThanOrEqualTo(2 * lockCount);
        }
    }

    @Test
    void summaryShouldCoverEveryBitmapWord() {
        for (int lockCount : LOCK_COUNTS) {
            ShmLayout layout = new ShmLayout(lockCount);
            assertThat((long) layout.summaryWords * Long.SIZE).isGreaterThanOrEqualTo(layout.bitmapWords);
        }
    }

    @Test
    void tokensShouldNeverCollideWithTheFlagBitsOrZero() {
        int largest = ShmLayout.RETIRED_GENERATION << ShmLayout.SLOT_BITS | ShmLayout.SLOT_MASK;
        assertThat(largest & (ShmLayout.WAITERS_BIT | ShmLayout.HANDOFF_BIT)).isZero();
        assertThat(largest & ShmLayout.TOKEN_MASK).isEqualTo(largest);
        assertThat(largest).isPositive();
        assertThat(1 << ShmLayout.SLOT_BITS)
                .as("smallest token: generation 1, slot 0")
                .isPositive();
        assertThat(ShmLayout.MAX_NAME_BYTES).isEqualTo(4 * 255);
    }
}
