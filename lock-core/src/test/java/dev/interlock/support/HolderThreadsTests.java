package dev.interlock.support;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Tests for {@link HolderThreads}.
 *
 * @author Interlock team
 */
class HolderThreadsTests {

    @ParameterizedTest
    @ValueSource(ints = {1, 7, 32, 33, 64, 100, 2048, 65_536, 100_003})
    void boundedSlotsShouldBeDistinctAndKeepNeighbouringIdsOnDifferentCacheLines(int numLocks) {
        HolderThreads.Bounded table = (HolderThreads.Bounded) HolderThreads.bounded(numLocks);
        Set<Integer> slots = new HashSet<>();
        for (int id = 0; id < numLocks; id++) {
            int slot = table.slot(id);
            // At least 16 entries of 8 bytes past the array's header (its length).
            assertThat(slot).isBetween(16, 16 + 2 * numLocks + 32);
            assertThat(slots.add(slot)).as("slot of id %d is unique", id).isTrue();
            if (id > 0 && numLocks > 16) {
                // 15 entries of 8 bytes are 120 bytes: never one 64-byte cache line.
                assertThat(Math.abs(slot - table.slot(id - 1))).isGreaterThanOrEqualTo(15);
            }
        }
    }

    @Test
    void boundedTableShouldTrackHoldersAndReportHeldIdsAscending() {
        HolderThreads table = HolderThreads.bounded(100);
        long me = Thread.currentThread().getId();
        table.set(70, me);
        table.set(3, me);
        assertThat(table.get(70)).isEqualTo(me);
        assertThat(table.get(71)).isEqualTo(HolderThreads.NONE);
        assertThat(table.heldIds()).containsExactly(3, 70);
        assertThat(table.clear(70, new Thread().getId())).isFalse();
        assertThat(table.clear(70, me)).isTrue();
        assertThat(table.heldIds()).containsExactly(3);
    }
}
