package dev.interlock.shm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.interlock.HeldLock;
import dev.interlock.Locker;
import dev.interlock.testing.SegmentNames;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Tests for dead-holder recovery in {@link SHMLockManager}, with the dead holder's records written
 * straight into the segment: a lock word and an allocator lock left behind by a session that no
 * longer exists, and allocation state left half-written. The kill-based tests with real processes
 * are in {@link SHMLockManagerMultiProcessTests}.
 *
 * @author Interlock team
 */
class SHMLockRecoveryTests {

    private static final Duration WAIT = Duration.ofSeconds(20);

    /** A session of slot 5, generation 1, that never attached: as dead as a killed process. */
    private static final int DEAD_TOKEN = 1 << ShmLayout.SLOT_BITS | 5;

    private final String segment = SegmentNames.unique("recovery");

    private final ShmLayout layout = new ShmLayout(64);

    private final List<HeldLock> recovered = new CopyOnWriteArrayList<>();

    private final ExecutorService executor = Executors.newCachedThreadPool();

    private SHMLockManager manager;

    @BeforeEach
    void createSegment() {
        manager = SHMLockManager.create(segment, 64, options());
    }

    private SHMLockManager.Options options() {
        return SHMLockManager.Options.defaults()
                .withRecoveryTimeout(Duration.ofMillis(100))
                .withRecoveryListener(recovered::add);
    }

    @AfterEach
    void cleanUp() throws InterruptedException {
        Allocator.testHook = null;
        executor.shutdownNow();
        assertThat(executor.awaitTermination(WAIT.toSeconds(), TimeUnit.SECONDS))
                .isTrue();
        manager.close();
        SHMLockManager.unlink(segment);
    }

    @Test
    void lockOfDeadHolderShouldBeTakenOverAndReportedOnce() throws Exception {
        Locker named = manager.namedLock("orders");
        int record = layout.recordOffset(named.id());
        TestSegments.writeLong(segment, record + ShmLayout.HELD_SINCE_OFFSET, 1_700_000_000_000L);
        TestSegments.writeLong(segment, record + ShmLayout.FENCE_OFFSET, 41);
        TestSegments.writeInt(segment, record, DEAD_TOKEN | ShmLayout.WAITERS_BIT);
        try (SHMLockManager second = SHMLockManager.open(segment, 64, options())) {
            CountDownLatch start = new CountDownLatch(1);
            Future<Boolean> mine = executor.submit(() -> {
                start.await();
                return named.tryLock(Duration.ofSeconds(3));
            });
            Future<Boolean> theirs = executor.submit(() -> {
                start.await();
                return second.retrieveLock(named.id()).tryLock(Duration.ofMillis(300));
            });
            start.countDown();
            assertThat(List.of(mine.get(30, TimeUnit.SECONDS), theirs.get(30, TimeUnit.SECONDS)))
                    .as("exactly one manager got the dead holder's lock")
                    .containsExactlyInAnyOrder(true, false);
            assertThat(recovered).singleElement().satisfies(dead -> {
                assertThat(dead.id()).isEqualTo(named.id());
                assertThat(dead.name()).hasValue("orders");
                assertThat(dead.ownerPid()).as("slot 5 never recorded a pid").isEmpty();
                assertThat(dead.heldSince()).hasValue(Instant.ofEpochMilli(1_700_000_000_000L));
                assertThat(dead.fencingToken()).hasValue(41);
            });
            Locker winner = mine.get() ? named : second.retrieveLock(named.id());
            assertThat(winner.fencingToken())
                    .as("drawn above the dead holder's")
                    .isEqualTo(42);
            winner.unlock();
        }
        assertThat(manager.locksHeld()).isEmpty();
    }

    @Test
    void tryLockShouldRecoverDeadHolderAtOnce() {
        TestSegments.writeInt(segment, layout.recordOffset(9), DEAD_TOKEN);
        Locker locker = manager.retrieveLock(9);
        assertThat(locker.tryLock()).isTrue();
        assertThat(recovered).extracting(HeldLock::id).containsExactly(9);
        locker.unlock();
    }

    @Test
    void shortTimedTryLockShouldRecoverDeadHolderBeforeGivingUp() throws InterruptedException {
        TestSegments.writeInt(segment, layout.recordOffset(10), DEAD_TOKEN | ShmLayout.WAITERS_BIT);
        Locker locker = manager.retrieveLock(10);
        assertThat(locker.tryLock(Duration.ofMillis(1))).isTrue();
        assertThat(recovered).extracting(HeldLock::id).containsExactly(10);
        locker.unlock();
    }

    @Test
    void lockAbandonedByARecycledSessionTokenShouldBeTakenOverAfterAGenerationWrap() {
        int abandoned = 1 << ShmLayout.SLOT_BITS | 1;
        // Slot 1's session of generation 1 died holding lock 13 long ago; the slot has been
        // claimed up to the last generation since, so the next claimant wraps to generation 1.
        TestSegments.writeInt(segment, layout.recordOffset(13), abandoned | ShmLayout.WAITERS_BIT);
        TestSegments.writeInt(
                segment,
                ShmLayout.ownerSlotOffset(1) + ShmLayout.SLOT_TOKEN_OFFSET,
                ShmLayout.MAX_GENERATION << ShmLayout.SLOT_BITS | 1);
        assertWrappedClaimantTakesOver(abandoned, 13);
    }

    @Test
    void claimantKilledWhileRetiringTokensShouldLeaveTheRetiringToTheNextClaimant() {
        int abandoned = 2 << ShmLayout.SLOT_BITS | 1;
        // The claimant that wrapped slot 1 to generation 1 was killed before it retired lock 14's
        // word of the old generation 2: the next claimant gets generation 2 and must retire it.
        TestSegments.writeInt(segment, layout.recordOffset(14), abandoned);
        TestSegments.writeInt(
                segment,
                ShmLayout.ownerSlotOffset(1) + ShmLayout.SLOT_TOKEN_OFFSET,
                1 << ShmLayout.SLOT_BITS | 1 | 1 << 31);
        assertWrappedClaimantTakesOver(abandoned, 14);
    }

    private void assertWrappedClaimantTakesOver(int abandoned, int id) {
        try (SHMLockManager next = SHMLockManager.open(segment, 64, options())) {
            assertThat(next.slot()).isEqualTo(1);
            assertThat(TestSegments.readInt(segment, ShmLayout.ownerSlotOffset(1) + ShmLayout.SLOT_TOKEN_OFFSET))
                    .as("the new session's token is the abandoned one")
                    .isEqualTo(abandoned);
            Locker locker = next.retrieveLock(id);
            assertThat(locker.tryLock())
                    .as("the abandoned lock is taken over, not waited for as our own")
                    .isTrue();
            locker.unlock();
        }
        assertThat(recovered)
                .singleElement()
                .satisfies(dead -> assertThat(dead.id()).isEqualTo(id));
    }

    @Test
    void managerKilledWhileClaimingASlotShouldNotHandItsDeadTokenToTheNextClaimant() {
        int deadInSlotOne = 1 << ShmLayout.SLOT_BITS | 1;
        // Slot 1's holder died holding lock 12; a claimant of slot 1 was killed half-way.
        TestSegments.writeInt(segment, layout.recordOffset(12), deadInSlotOne);
        TestSegments.writeInt(
                segment, ShmLayout.ownerSlotOffset(1) + ShmLayout.SLOT_TOKEN_OFFSET, deadInSlotOne | 1 << 31);
        try (SHMLockManager next = SHMLockManager.open(segment, 64, options())) {
            assertThat(next.slot()).isEqualTo(1);
            assertThat(next.retrieveLock(12).tryLock())
                    .as("the dead token is not the new session's")
                    .isTrue();
            next.retrieveLock(12).unlock();
        }
        assertThat(recovered).extracting(HeldLock::id).containsExactly(12);
    }

    @Test
    void allocatorOfDeadHolderShouldBeTakenOverAndHalfWrittenStateRepaired() {
        manager.allocateLock();
        manager.allocateLock();
        int boundId = manager.namedLock("kept").id();
        // The dead holder was binding "lost" to ID 3: it wrote the name slot but died before
        // setting the bit; it had also miscounted.
        int nameSlot = layout.nameSlotOffset(3);
        byte[] lost = "lost".getBytes(StandardCharsets.UTF_8);
        TestSegments.writeBytes(segment, nameSlot + ShmLayout.NAME_BYTES_OFFSET, lost);
        TestSegments.writeInt(segment, nameSlot + ShmLayout.NAME_LENGTH_OFFSET, lost.length);
        TestSegments.writeLong(segment, ShmLayout.ALLOCATOR_RECORD_OFFSET + ShmLayout.ALLOCATED_COUNT_OFFSET, 99);
        TestSegments.writeInt(segment, ShmLayout.ALLOCATOR_RECORD_OFFSET, DEAD_TOKEN);

        assertThat(manager.allocateLock().id()).isEqualTo(3);
        assertThat(manager.allocatedLocks()).as("recounted").isEqualTo(4);
        assertThat(manager.namedLock("kept").id()).as("index rebuilt").isEqualTo(boundId);
        assertThat(manager.namedLock("lost").id()).as("half-bound name dropped").isEqualTo(4);
        assertThat(recovered).as("the allocator is not a user lock").isEmpty();
    }

    /**
     * A corrupted allocator word that names this manager's own session (found by the storage fuzz
     * test: the mutated word was the token the next session then got) is no hold of this manager,
     * whose threads take the allocator lock one at a time: it is taken over and repaired instead of
     * waited for forever.
     */
    @Test
    void allocatorWordNamingTheManagersOwnSessionShouldBeTakenOverNotWaitedForForever() throws Exception {
        manager.allocateLock();
        int ownToken = TestSegments.readInt(segment, ShmLayout.ownerSlotOffset(0));
        assertThat(ownToken).as("the only session, in slot 0").isEqualTo(1 << ShmLayout.SLOT_BITS);
        TestSegments.writeInt(segment, ShmLayout.ALLOCATOR_RECORD_OFFSET, ownToken);

        Future<Integer> allocated = executor.submit(() -> manager.allocateLock().id());
        assertThat(allocated.get(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo(1);
        assertThat(TestSegments.readInt(segment, ShmLayout.ALLOCATOR_RECORD_OFFSET))
                .as("released after the operation")
                .isZero();
        assertThat(manager.allocatedLocks()).isEqualTo(2);
    }

    @Test
    void closeDuringAnAllocationOfAnotherThreadShouldKeepTheSessionAliveUntilItEnds() throws Exception {
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch resume = new CountDownLatch(1);
        Thread[] paused = new Thread[1];
        Allocator.testHook = step -> {
            if (step.equals("allocate") && Thread.currentThread() == paused[0]) {
                inside.countDown();
                try {
                    resume.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                }
            }
        };
        SHMLockManager closing = SHMLockManager.open(segment, 64, options());
        Future<Integer> allocation = executor.submit(() -> {
            paused[0] = Thread.currentThread();
            return closing.allocateLock().id();
        });
        assertThat(inside.await(30, TimeUnit.SECONDS)).isTrue();
        Future<?> close = executor.submit(closing::close);
        Future<Integer> other = executor.submit(() -> manager.allocateLock().id());
        // Without the wait in close(), the other manager finds the allocator's holder dead within a
        // liveness interval (25 ms here), repairs and hands out the same lowest free ID.
        Integer otherEarly = null;
        try {
            otherEarly = other.get(600, TimeUnit.MILLISECONDS);
        } catch (TimeoutException expected) {
            // Still waiting for the live holder: right.
        }
        assertThat(close.isDone())
                .as("close() waits for the allocation in flight")
                .isFalse();
        resume.countDown();
        int pausedId = allocation.get(30, TimeUnit.SECONDS);
        close.get(30, TimeUnit.SECONDS);
        int otherId = other.get(30, TimeUnit.SECONDS);
        assertThat(otherEarly)
                .as("the other manager waited for the live holder")
                .isNull();
        assertThat(List.of(pausedId, otherId)).containsExactly(0, 1);
        assertThat(manager.allocatedLocks()).isEqualTo(2);
    }

    @Test
    void allocationWhoseAllocatorLockWasTakenOverShouldReportIt() {
        // Another process took the allocator over while this allocation was inside (simulated by
        // writing its token into the allocator word): the release finds its token gone.
        Allocator.testHook = step -> {
            if (step.equals("allocate")) {
                TestSegments.writeInt(segment, ShmLayout.ALLOCATOR_RECORD_OFFSET, DEAD_TOKEN);
            }
        };
        org.assertj.core.api.Assertions.assertThatThrownBy(manager::allocateLock)
                .isInstanceOf(dev.interlock.LockStorageException.class)
                .hasMessageContaining("allocator lock of shared-memory segment " + segment + " was taken over")
                .hasMessageContaining("may be wrong");
        Allocator.testHook = null;
        assertThat(manager.allocateLock().id())
                .as("the next operation recovers from the (dead) taker")
                .isEqualTo(1);
    }

    @Test
    void takeoverWhoseReportFailsShouldGiveTheLockBackForTheNextWaiter() {
        int record = layout.recordOffset(11);
        TestSegments.writeInt(segment, record, DEAD_TOKEN);
        SHMLockManager.Options failing = SHMLockManager.Options.defaults().withRecoveryListener(dead -> {
            throw new AssertionError("listener failed with an Error");
        });
        try (SHMLockManager reporter = SHMLockManager.open(segment, 64, failing)) {
            org.assertj.core.api.Assertions.assertThatThrownBy(
                            () -> reporter.retrieveLock(11).tryLock())
                    .isInstanceOf(AssertionError.class)
                    .hasMessage("listener failed with an Error");
            assertThat(TestSegments.readInt(segment, record))
                    .as("the word is the dead holder's again, not held by a live manager without a holder entry")
                    .isEqualTo(DEAD_TOKEN);
            assertThat(manager.retrieveLock(11).tryLock()).isTrue();
            assertThat(recovered).extracting(HeldLock::id).containsExactly(11);
            manager.retrieveLock(11).unlock();
        }
    }

    @Test
    void allocatorTakeoverWhoseRepairFailsShouldLeaveTheRepairToTheNextHolder() throws Exception {
        manager.allocateLock();
        TestSegments.writeLong(segment, ShmLayout.ALLOCATOR_RECORD_OFFSET + ShmLayout.ALLOCATED_COUNT_OFFSET, 99);
        TestSegments.writeInt(segment, ShmLayout.ALLOCATOR_RECORD_OFFSET, DEAD_TOKEN);
        Allocator.testHook = step -> {
            if (step.equals("repair")) {
                throw new OutOfMemoryError("repair ran out of memory");
            }
        };
        org.assertj.core.api.Assertions.assertThatThrownBy(manager::allocateLock)
                .isInstanceOf(OutOfMemoryError.class);
        Allocator.testHook = null;
        try (SHMLockManager second = SHMLockManager.open(segment, 64, options())) {
            Future<Integer> next = executor.submit(() -> second.allocateLock().id());
            assertThat(next.get(10, TimeUnit.SECONDS))
                    .as("the allocator was not left held by the live manager whose repair failed")
                    .isEqualTo(1);
            assertThat(second.allocatedLocks())
                    .as("the next holder repaired the count")
                    .isEqualTo(2);
        }
    }

    @Test
    void damagedDerivedStateShouldNeverHandOutAnAllocatedIdOrFailWithAnIndexError() throws Exception {
        for (int i = 0; i < 64; i++) {
            manager.allocateLock();
        }
        // Another program cleared the summary bit of the full word 0 and wrote garbage into the
        // name length of allocated ID 5 and into every index entry.
        TestSegments.writeLong(segment, layout.summaryOffset, 0);
        TestSegments.writeInt(segment, layout.nameSlotOffset(5), Integer.MAX_VALUE);
        for (int entry = 0; entry < layout.indexCapacity; entry++) {
            TestSegments.writeLong(segment, layout.indexOffset + entry * Long.BYTES, 0x7FFF_FFFF_7FFF_FFFFL);
        }
        // Without the checks: ID 64 (beyond the bitmap, written into the summary) handed out, an
        // IndexOutOfBoundsException on free, a hang on bind.
        assertThat(org.assertj.core.api.Assertions.catchThrowable(manager::allocateLock))
                .isInstanceOf(dev.interlock.LocksExhaustedException.class);
        assertThat(org.assertj.core.api.Assertions.catchThrowable(
                        () -> manager.retrieveLock(5).free()))
                .isNull();
        Future<Throwable> bind =
                executor.submit(() -> org.assertj.core.api.Assertions.catchThrowable(() -> manager.namedLock("fresh")));
        assertThat(bind.get(10, TimeUnit.SECONDS))
                .isInstanceOf(dev.interlock.LockStorageException.class)
                .hasMessageContaining("has no free entry among its 256");
    }

    @Test
    void allocationAfterCloseBeganShouldBeRefused() {
        SHMLockManager closed = SHMLockManager.open(segment, 64, options());
        closed.close();
        org.assertj.core.api.Assertions.assertThatThrownBy(closed::allocateLock)
                .isInstanceOf(dev.interlock.ManagerClosedException.class);
    }
}
