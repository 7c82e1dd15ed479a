package dev.interlock.shm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.interlock.LockException;
import dev.interlock.Locker;
import dev.interlock.testing.FuzzRounds;
import dev.interlock.testing.SegmentNames;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Fuzzes every byte of a segment that another process of the same user can write: the header,
 * the allocator record, owner slots, lock records, the bitmap and its summary, the name index and
 * the name slots. Each round builds a small segment with allocated, named and held locks (the
 * holder is a closed manager, so it is dead), overwrites a few random bytes of one region, then
 * opens and uses it. Allowed outcomes: correct behaviour, or a {@link LockException} (a {@code
 * LockStorageException} with a message, a lock count mismatch, exhaustion, ...), or an {@code
 * IllegalMonitorStateException} for an unlock of a lock not held. Not allowed: any other
 * exception ({@code IndexOutOfBoundsException}, {@code NegativeArraySizeException}, ...), a hang
 * (every round has a deadline), or two managers holding one lock at once.
 *
 * <p>Bounded to a few seconds in {@code ./mvnw verify}; a long run: {@code ./mvnw -pl lock-core
 * verify -Dtest=ShmStorageFuzzTests -Dinterlock.fuzz.seconds=600}. Truncation of a mapped segment
 * is not fuzzed: it kills the JVM with {@code SIGBUS} by design (see docs/shm-layout.md section 13).
 *
 * @author Interlock team
 */
class ShmStorageFuzzTests {

    private static final int LOCKS = 64;

    private final ShmLayout layout = new ShmLayout(LOCKS);

    @Test
    void mutatedSegmentShouldFailCleanlyOrWorkCorrectly() throws Exception {
        int rounds = FuzzRounds.run("ShmStorageFuzzTests", Duration.ofSeconds(20), this::round);
        assertThat(rounds).isPositive();
    }

    private void round(Random random, int round) throws Exception {
        String segment = SegmentNames.unique("fuzz");
        SHMLockManager.Options options = SHMLockManager.Options.defaults().withRecoveryTimeout(Duration.ofMillis(20));
        try {
            try (SHMLockManager setup = SHMLockManager.create(segment, LOCKS, options)) {
                setup.allocateLock();
                setup.namedLock("alpha");
                setup.namedLock("beta-" + random.nextInt(1000));
                setup.allocateAndRetrieveLock(40);
                setup.retrieveLock(1).lock(); // left held: the setup manager dies with it
                if (random.nextBoolean()) {
                    setup.retrieveLock(0).free();
                }
            }
            mutate(segment, random);
            exercise(segment, options, random);
        } finally {
            SHMLockManager.unlink(segment);
        }
    }

    private void mutate(String segment, Random random) {
        int[][] regions = {
            {0, ShmLayout.ALLOCATOR_RECORD_OFFSET}, // header
            {ShmLayout.ALLOCATOR_RECORD_OFFSET, ShmLayout.HEADER_LENGTH}, // allocator record
            {ShmLayout.OWNER_TABLE_OFFSET, ShmLayout.OWNER_TABLE_OFFSET + 8 * ShmLayout.OWNER_SLOT_LENGTH},
            {ShmLayout.BITMAP_OFFSET, ShmLayout.BITMAP_OFFSET + layout.bitmapWords * Long.BYTES},
            {layout.summaryOffset, layout.summaryOffset + layout.summaryWords * Long.BYTES},
            {layout.recordsOffset, layout.recordsOffset + LOCKS * ShmLayout.RECORD_LENGTH},
            {layout.indexOffset, layout.indexOffset + layout.indexCapacity * Long.BYTES},
            {layout.namesOffset, layout.namesOffset + 4 * ShmLayout.NAME_SLOT_LENGTH},
        };
        // Mostly one region per round, so that the checks of other regions do not mask it.
        int[] region = regions[random.nextInt(regions.length)];
        int writes = 1 + random.nextInt(8);
        for (int i = 0; i < writes; i++) {
            int offset = region[0] + random.nextInt(region[1] - region[0]);
            if (region[0] == layout.namesOffset && random.nextBoolean()) {
                // The length field of a name slot: the one a reader trusts for a copy.
                offset = layout.namesOffset + random.nextInt(4) * ShmLayout.NAME_SLOT_LENGTH;
                TestSegments.writeInt(segment, offset, interesting(random));
            } else if (random.nextInt(3) == 0) {
                offset &= ~3; // aligned ints hit whole fields
                TestSegments.writeInt(segment, offset, interesting(random));
            } else if (random.nextInt(3) == 0) {
                TestSegments.writeLong(segment, offset & ~7, random.nextBoolean() ? -1L : random.nextLong());
            } else {
                TestSegments.writeBytes(segment, offset, new byte[] {(byte) random.nextInt()});
            }
        }
    }

    private static int interesting(Random random) {
        int[] values = {0, 1, -1, Integer.MAX_VALUE, Integer.MIN_VALUE, 1020, 1021, 4096, 63, 64, 65, 0x3FF};
        return random.nextBoolean() ? values[random.nextInt(values.length)] : random.nextInt();
    }

    private void exercise(String segment, SHMLockManager.Options options, Random random) throws Exception {
        SHMLockManager manager;
        try {
            manager = SHMLockManager.open(segment, LOCKS, options);
        } catch (LockException expected) {
            assertThat(expected).hasMessageContaining(segment);
            return;
        }
        try (manager;
                SHMLockManager other = SHMLockManager.open(segment, LOCKS, options)) {
            List<Integer> held = new ArrayList<>();
            for (int step = 0; step < 12; step++) {
                allowed(() -> {
                    switch (random.nextInt(9)) {
                        case 0 -> manager.allocateLock();
                        case 1 -> manager.namedLock(random.nextBoolean() ? "alpha" : "gamma-" + random.nextInt(5));
                        case 2 -> manager.retrieveLock(random.nextInt(LOCKS)).free();
                        case 3 -> {
                            int id = random.nextInt(4) == 0 ? 1 : random.nextInt(LOCKS);
                            Locker locker = manager.retrieveLock(id);
                            if (!held.contains(id) && locker.tryLock(Duration.ofMillis(30))) {
                                held.add(id);
                                assertThat(other.retrieveLock(id).tryLock())
                                        .as("lock %d held by one manager must not be taken by another", id)
                                        .isFalse();
                            }
                        }
                        case 4 -> manager.lockNames();
                        case 5 -> manager.locksHeld();
                        case 6 -> {
                            manager.allocatedLocks();
                            manager.availableLocks();
                        }
                        case 7 -> other.allocateAndRetrieveLock(random.nextInt(LOCKS));
                        default -> {
                            if (random.nextInt(4) == 0) {
                                manager.freeAllLocks();
                            }
                        }
                    }
                });
            }
            for (int id : held) {
                allowed(() -> manager.retrieveLock(id).unlock());
            }
        }
    }

    /** An operation on the fuzzed storage. */
    @FunctionalInterface
    private interface Operation {
        void run() throws Exception;
    }

    /** Runs {@code operation}; the exceptions a caller may get from mutated storage are fine, others fail. */
    private static void allowed(Operation operation) throws Exception {
        try {
            operation.run();
        } catch (LockException | IllegalMonitorStateException expected) {
            assertThat(expected.getMessage()).isNotBlank();
        }
    }
}
