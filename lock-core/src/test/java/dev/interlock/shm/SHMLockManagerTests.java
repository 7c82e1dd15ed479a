package dev.interlock.shm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.interlock.Manager;
import dev.interlock.testing.LockManagerContractTests;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Tests for {@link SHMLockManager}: the whole contract suite, with a second manager over the same
 * segment standing in for another process (two managers exclude each other exactly like two
 * processes, since each has its own session token and liveness lock). Real processes are in
 * {@link SHMLockManagerMultiProcessTests}.
 *
 * @author Interlock team
 */
class SHMLockManagerTests extends LockManagerContractTests {

    private final String segment = TestSegments.uniqueName("contract");

    @Override
    protected Manager createManager() {
        return SHMLockManager.create(segment, 64);
    }

    @Override
    protected Optional<Manager> openSecondManager(Manager first) {
        return Optional.of(SHMLockManager.open(segment, 64));
    }

    @Test
    void managersRacingForNewNameShouldAllocateExactlyOneId() throws Exception {
        int managers = 4;
        List<Manager> racers = new ArrayList<>();
        for (int i = 0; i < managers; i++) {
            racers.add(track(SHMLockManager.open(segment, 64)));
        }
        ExecutorService pool = Executors.newFixedThreadPool(managers);
        try {
            CyclicBarrier start = new CyclicBarrier(managers);
            List<Future<Integer>> ids = new ArrayList<>();
            for (Manager racer : racers) {
                ids.add(pool.submit(() -> {
                    start.await(WAIT.toMillis(), TimeUnit.MILLISECONDS);
                    return racer.namedLock("raced-across-managers").id();
                }));
            }
            Set<Integer> distinct = new HashSet<>();
            for (Future<Integer> id : ids) {
                distinct.add(id.get(WAIT.toMillis(), TimeUnit.MILLISECONDS));
            }
            assertThat(distinct).hasSize(1);
            assertThat(manager.allocatedLocks()).isEqualTo(1);
        } finally {
            pool.shutdownNow();
        }
    }

    @AfterEach
    void unlinkSegment() {
        SHMLockManager.unlink(segment);
    }
}
