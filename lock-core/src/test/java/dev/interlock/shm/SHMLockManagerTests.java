package dev.interlock.shm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;

import dev.interlock.Locker;
import dev.interlock.Manager;
import dev.interlock.testing.LockManagerContractTests;
import dev.interlock.testing.SegmentNames;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
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

    private final String segment = SegmentNames.unique("contract");

    @Override
    protected Manager createManager() {
        return SHMLockManager.create(segment, 64);
    }

    @Override
    protected int distinctTemporaryNames() {
        return 100_000;
    }

    @Override
    protected Optional<Manager> openSecondManager(Manager first) {
        return Optional.of(SHMLockManager.open(segment, 64));
    }

    /**
     * Threads of one manager waiting for one lock queue at its gate, and only the first waits on
     * the word (issue 15): a thread queued behind it still times out on time, stops when
     * interrupted, and the first one still gets the lock when it is released.
     */
    @Test
    void threadsQueuedBehindAWaiterOfTheSameManagerShouldTimeOutStopOnInterruptAndLeaveTheLockToIt() throws Exception {
        Locker locker = manager.allocateLock();
        int record = new ShmLayout(64).recordOffset(locker.id());
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try {
            locker.lock();
            Future<Boolean> first = pool.submit(() -> {
                locker.lock();
                locker.unlock();
                return true;
            });
            // The waiters bit is set only by the thread that passed the gate, waiting on the word.
            long began = System.nanoTime();
            while ((TestSegments.readInt(segment, record) & ShmLayout.WAITERS_BIT) == 0) {
                assertThat(Duration.ofNanos(System.nanoTime() - began)).isLessThan(WAIT);
                Thread.onSpinWait();
            }
            long start = System.nanoTime();
            assertThat(pool.submit(() -> locker.tryLock(Duration.ofMillis(100)))
                            .get(WAIT.toMillis(), TimeUnit.MILLISECONDS))
                    .as("timed out at the gate")
                    .isFalse();
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isBetween(Duration.ofMillis(100), WAIT);
            CountDownLatch started = new CountDownLatch(1);
            AtomicReference<Thread> interruptible = new AtomicReference<>();
            Future<String> interrupted = pool.submit(() -> {
                interruptible.set(Thread.currentThread());
                started.countDown();
                try {
                    locker.lockInterruptibly();
                    locker.unlock();
                    return "acquired";
                } catch (InterruptedException ex) {
                    return "interrupted";
                }
            });
            assertThat(started.await(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
            // Interrupt it once it is parked at the gate, not before it got there.
            long queuedSince = System.nanoTime();
            while (interruptible.get().getState() != Thread.State.WAITING) {
                assertThat(Duration.ofNanos(System.nanoTime() - queuedSince)).isLessThan(WAIT);
                Thread.onSpinWait();
            }
            interruptible.get().interrupt();
            assertThat(interrupted.get(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo("interrupted");
            assertThat(first).isNotDone();
            locker.unlock();
            assertThat(first.get(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
            assertThat(locker.tryLock()).as("nobody holds it any more").isTrue();
            locker.unlock();
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * Tokens are drawn on a hold's first request (section 4.1 of docs/shm-layout.md): holds that
     * never ask leave the counter alone, {@code locksHeld()} shows no token for a hold that has
     * not asked, and every other process sees the tokens strictly increase all the same.
     */
    @Test
    void holdsThatNeverAskShouldDrawNoTokenAndLocksHeldShouldShowTheTokenOnlyOnceDrawn() {
        Locker locker = manager.allocateLock();
        Locker theirs = track(SHMLockManager.open(segment, 64)).retrieveLock(locker.id());
        locker.lock();
        assertThat(manager.locksHeld()).singleElement().satisfies(held -> {
            assertThat(held.fencingToken()).isEmpty();
            assertThat(held.heldSince()).isPresent();
        });
        long first = locker.fencingToken();
        assertThat(locker.fencingToken()).isEqualTo(first);
        assertThat(manager.locksHeld()).singleElement().satisfies(held -> {
            assertThat(held.fencingToken()).hasValue(first);
            assertThat(held.heldSince()).isPresent();
            assertThat(held.heldSince().get()).isBefore(java.time.Instant.now().plusSeconds(1));
        });
        locker.unlock();
        for (int i = 0; i < 5; i++) {
            theirs.lock();
            theirs.unlock();
            locker.lock();
            locker.unlock();
        }
        try (var handle = theirs.acquire()) {
            assertThat(handle.fencingToken()).isEqualTo(first + 1);
            assertThat(manager.locksHeld())
                    .singleElement()
                    .satisfies(held -> assertThat(held.fencingToken()).hasValue(first + 1));
        }
        locker.lock();
        assertThat(locker.fencingToken()).isEqualTo(first + 2);
        locker.unlock();
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

    /**
     * The writer half of the name slots' sequence lock: every bind and every free of a named ID
     * raises its name version by 2 (odd while changing), so that a reader whose copy overlapped a
     * free and a new bind of the same ID sees a different version afterwards even when the length
     * is the same as before.
     */
    @Test
    void bindAndFreeShouldEachRaiseTheNameVersionByTwo() {
        int version = nameVersionOffset(0);
        int before = TestSegments.readInt(segment, version);
        manager.namedLock("same-length-1").free();
        assertThat(TestSegments.readInt(segment, version)).isEqualTo(before + 4);
        manager.namedLock("same-length-2");
        assertThat(TestSegments.readInt(segment, version)).isEqualTo(before + 6);
        manager.freeAllLocks();
        assertThat(TestSegments.readInt(segment, version)).isEqualTo(before + 8);
    }

    /**
     * The reader half: a name version left odd (a writer is changing the slot, or died doing so)
     * makes readers without the allocator lock leave that name out after a bounded number of
     * attempts, instead of returning a copy that may be torn or spinning forever; an even version
     * makes it visible again.
     */
    @Test
    void lockNamesWhenNameVersionIsOddShouldLeaveThatNameOut() {
        Locker kept = manager.namedLock("kept");
        Locker changing = manager.namedLock("changing");
        int version = nameVersionOffset(changing.id());
        int stable = TestSegments.readInt(segment, version);
        assertThat(stable % 2).as("version after a completed bind").isZero();
        TestSegments.writeInt(segment, version, stable + 1);
        assertThat(manager.lockNames()).containsExactly(entry("kept", kept.id()));
        assertThat(manager.locksHeld()).isEmpty();
        TestSegments.writeInt(segment, version, stable + 2);
        assertThat(manager.lockNames()).containsExactly(entry("changing", changing.id()), entry("kept", kept.id()));
    }

    private static int nameVersionOffset(int id) {
        return new ShmLayout(64).recordOffset(id) + ShmLayout.NAME_VERSION_OFFSET;
    }

    @AfterEach
    void unlinkSegment() {
        SHMLockManager.unlink(segment);
    }
}
