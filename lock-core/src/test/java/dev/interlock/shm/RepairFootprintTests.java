package dev.interlock.shm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.interlock.testing.SegmentNames;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Tests that recovering the allocator lock touches only what can be inconsistent: on a segment of
 * 65,536 locks (70 MiB, sparse), the repair after a dead allocator holder must not make the name
 * region or the index resident. Resident here means allocated in the tmpfs file ({@code st_blocks}),
 * which is what the memory cgroup of the recovering process is charged for.
 *
 * @author Interlock team
 */
class RepairFootprintTests {

    private static final int LOCKS = 65_536;

    /** A session of slot 5, generation 1, that never attached. */
    private static final int DEAD_TOKEN = 1 << ShmLayout.SLOT_BITS | 5;

    private final String segment = SegmentNames.unique("footprint");

    @AfterEach
    void removeSegment() {
        SHMLockManager.unlink(segment);
    }

    @Test
    void repairOfALargeSegmentShouldTouchOnlyAllocatedIds() throws Exception {
        try (SHMLockManager manager = SHMLockManager.create(segment, LOCKS)) {
            manager.namedLock("first");
            manager.allocateLock();
            int last = LOCKS - 1;
            manager.allocateAndRetrieveLock(last);
            // A bind that died half-way on the highest ID: its name written, its version odd.
            ShmLayout layout = new ShmLayout(LOCKS);
            TestSegments.writeInt(segment, layout.recordOffset(last) + ShmLayout.NAME_VERSION_OFFSET, 7);
            byte[] name = "dying".getBytes(StandardCharsets.UTF_8);
            TestSegments.writeBytes(segment, layout.nameSlotOffset(last) + ShmLayout.NAME_BYTES_OFFSET, name);
            TestSegments.writeInt(segment, layout.nameSlotOffset(last), name.length);
            TestSegments.writeInt(segment, ShmLayout.ALLOCATOR_RECORD_OFFSET, DEAD_TOKEN);
            long before = residentBytes();

            assertThat(manager.allocateLock().id()).isEqualTo(2);

            long after = residentBytes();
            System.out.printf(
                    "RepairFootprintTests: segment of %,d locks, resident %,d KiB before the repair, %,d KiB after%n",
                    LOCKS, before / 1024, after / 1024);
            assertThat(after - before)
                    .as("bytes made resident by the repair (the name region alone is %d MiB)", LOCKS / 1024)
                    .isLessThan(1024 * 1024);
            assertThat(manager.allocatedLocks()).isEqualTo(4);
            assertThat(manager.namedLock("first").id()).as("index rebuilt").isZero();
            assertThat(manager.lockNames())
                    .as("the half-bound name is a whole name now (the version was made even)")
                    .containsEntry("dying", last);
        }
    }

    /** The bytes the segment file occupies in tmpfs, from {@code stat -c %b} (512-byte blocks). */
    private long residentBytes() throws IOException, InterruptedException {
        Process stat = new ProcessBuilder(
                        "stat", "-c", "%b", SegmentFiles.fileOf(segment).toString())
                .redirectErrorStream(true)
                .start();
        String out = new String(stat.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertThat(stat.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return Long.parseLong(out) * 512;
    }
}
