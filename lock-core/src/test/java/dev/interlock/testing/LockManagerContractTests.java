package dev.interlock.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.entry;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.interlock.HeldLock;
import dev.interlock.InvalidLockIdException;
import dev.interlock.LockAlreadyAllocatedException;
import dev.interlock.LockHandle;
import dev.interlock.LockNotAllocatedException;
import dev.interlock.Locker;
import dev.interlock.LocksExhaustedException;
import dev.interlock.Manager;
import dev.interlock.ManagerClosedException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.SortedMap;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The contract every {@link Manager} backend must pass: the seed's {@code Manager}/{@code Locker}
 * contract, podman's observable behaviour, and Interlock's ownership, self-deadlock, close, named
 * lock and concurrency semantics. A backend's test class extends this and supplies managers.
 *
 * <p>What this suite cannot show: that locks exclude across <em>processes</em>. Managers here live
 * in one JVM; {@link #openSecondManager} gives a second instance over the same storage, which
 * must behave like another process, but real cross-process tests with {@link ChildJvm} belong in
 * each backend's own test classes.
 *
 * @author Interlock team
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
public abstract class LockManagerContractTests {

    /** Bound for every wait on another thread; generous because CI machines are shared. */
    protected static final Duration WAIT = Duration.ofSeconds(20);

    private final List<Manager> managers = new ArrayList<>();

    private ExecutorService executor;

    /** The manager under test, fresh for each test. */
    protected Manager manager;

    /**
     * Creates a manager over fresh, empty storage. Bounded backends should use a small lock count
     * (at most 256) so that exhaustion tests stay fast. The suite closes it after each test;
     * subclasses remove the storage in their own {@code @AfterEach}.
     *
     * @return a new manager
     */
    protected abstract Manager createManager();

    /**
     * Opens a second manager over the storage of {@code first}, as another process would. Backends
     * without shared storage return empty, and the tests that need it are skipped.
     *
     * @param first a manager from {@link #createManager()}
     * @return a second manager over the same storage, or empty
     */
    protected Optional<Manager> openSecondManager(Manager first) {
        return Optional.empty();
    }

    @BeforeEach
    void createManagerUnderTest() {
        executor = Executors.newCachedThreadPool();
        manager = track(createManager());
    }

    @AfterEach
    void closeManagers() throws InterruptedException {
        executor.shutdownNow();
        assertThat(executor.awaitTermination(WAIT.toSeconds(), TimeUnit.SECONDS))
                .as("helper threads ended")
                .isTrue();
        managers.forEach(Manager::close);
    }

    /**
     * Registers a manager to be closed after the test.
     *
     * @param created the manager
     * @return the same manager
     */
    protected final Manager track(Manager created) {
        managers.add(created);
        return created;
    }

    private Manager secondManager() {
        Optional<Manager> second = openSecondManager(manager);
        assumeThat(second).as("backend with shared storage").isPresent();
        return track(second.get());
    }

    private <T> T onOtherThread(Callable<T> task) throws Exception {
        return executor.submit(task).get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    }

    private boolean tryLockOnOtherThread(Locker locker) throws Exception {
        return onOtherThread(() -> locker.tryLock());
    }

    // --- The seed's Manager contract -------------------------------------------------------

    @Test
    void retrieveLockWithSameIdShouldReturnSameLock() throws Exception {
        Locker allocated = manager.allocateLock();
        Locker retrieved = manager.retrieveLock(allocated.id());
        assertThat(retrieved.id()).isEqualTo(allocated.id());
        allocated.lock();
        assertThat(tryLockOnOtherThread(retrieved)).isFalse();
        retrieved.unlock();
        assertThat(allocated.tryLock()).isTrue();
        allocated.unlock();
    }

    @Test
    void locksWithDifferentIdsShouldBeIndependent() throws Exception {
        Locker first = manager.allocateLock();
        Locker second = manager.allocateLock();
        first.lock();
        assertThat(tryLockOnOtherThread(second)).isTrue();
        second.unlock();
        first.unlock();
    }

    @Test
    void allocateLockShouldReturnLowestFreeId() {
        assertThat(manager.allocateLock().id()).isZero();
        assertThat(manager.allocateLock().id()).isEqualTo(1);
        assertThat(manager.allocateLock().id()).isEqualTo(2);
    }

    @Test
    void allocateLockShouldNeverReturnAnAllocatedId() {
        Set<Integer> ids = new HashSet<>();
        for (int i = 0; i < 40; i++) {
            assertThat(ids.add(manager.allocateLock().id())).isTrue();
        }
        assertThat(manager.allocatedLocks()).isEqualTo(40);
    }

    @Test
    void allocateAfterFreeShouldReturnFreedId() {
        List<Locker> lockers = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            lockers.add(manager.allocateLock());
        }
        lockers.get(2).free();
        assertThat(manager.allocateLock().id()).isEqualTo(2);
        assertThat(manager.allocateLock().id()).isEqualTo(5);
    }

    @Test
    void lockShouldStayUsableAfterFree() throws Exception {
        Locker locker = manager.allocateLock();
        locker.free();
        locker.lock();
        assertThat(onOtherThread(() -> manager.retrieveLock(locker.id()).tryLock()))
                .isFalse();
        locker.unlock();
    }

    @Test
    void freeWhileHeldShouldKeepTheLockHeld() throws Exception {
        Locker locker = manager.allocateLock();
        locker.lock();
        locker.free();
        Locker reallocated = manager.allocateLock();
        assertThat(reallocated.id()).isEqualTo(locker.id());
        assertThat(tryLockOnOtherThread(reallocated)).isFalse();
        locker.unlock();
    }

    @Test
    void lockWhenIdIsNotAllocatedShouldWork() throws Exception {
        Locker locker = manager.retrieveLock(3);
        locker.lock();
        assertThat(onOtherThread(() -> manager.retrieveLock(3).tryLock())).isFalse();
        locker.unlock();
        assertThat(manager.allocatedLocks()).isZero();
    }

    @Test
    void freeAllLocksShouldDeallocateEverything() {
        for (int i = 0; i < 6; i++) {
            manager.allocateLock();
        }
        manager.freeAllLocks();
        assertThat(manager.allocatedLocks()).isZero();
        assertThat(manager.allocateLock().id()).isZero();
    }

    @Test
    void freeAllLocksShouldLeaveHeldLocksHeld() throws Exception {
        Locker locker = manager.allocateLock();
        locker.lock();
        manager.freeAllLocks();
        assertThat(onOtherThread(() -> manager.retrieveLock(locker.id()).tryLock()))
                .isFalse();
        locker.unlock();
    }

    @Test
    void allocateAndRetrieveLockShouldMarkIdAllocated() {
        Locker locker = manager.allocateAndRetrieveLock(0);
        assertThat(locker.id()).isZero();
        assertThat(manager.allocatedLocks()).isEqualTo(1);
        assertThat(manager.allocateLock().id()).isEqualTo(1);
    }

    @Test
    void allocateAndRetrieveLockWhenAllocatedShouldThrow() {
        Locker locker = manager.allocateLock();
        assertThatExceptionOfType(LockAlreadyAllocatedException.class)
                .isThrownBy(() -> manager.allocateAndRetrieveLock(locker.id()))
                .withMessageContaining("Lock " + locker.id() + " is already allocated")
                .satisfies(ex -> assertThat(ex.id()).isEqualTo(locker.id()));
    }

    @Test
    void freeWhenNotAllocatedShouldThrow() {
        Locker locker = manager.retrieveLock(1);
        assertThatExceptionOfType(LockNotAllocatedException.class)
                .isThrownBy(locker::free)
                .withMessageContaining("Lock 1 is not allocated");
        Locker allocated = manager.allocateLock();
        allocated.free();
        assertThatExceptionOfType(LockNotAllocatedException.class).isThrownBy(allocated::free);
    }

    @Test
    void negativeIdShouldBeRejected() {
        assertThatExceptionOfType(InvalidLockIdException.class)
                .isThrownBy(() -> manager.retrieveLock(-1))
                .withMessageContaining("Lock ID -1 is out of range");
        assertThatExceptionOfType(InvalidLockIdException.class)
                .isThrownBy(() -> manager.allocateAndRetrieveLock(Integer.MIN_VALUE));
    }

    @Test
    void idBeyondCapacityShouldBeRejected() {
        assumeThat(manager.availableLocks()).as("bounded backend").isPresent();
        int numLocks = manager.availableLocks().getAsInt();
        assertThatExceptionOfType(InvalidLockIdException.class)
                .isThrownBy(() -> manager.retrieveLock(numLocks))
                .withMessageContaining(String.valueOf(numLocks))
                .satisfies(ex -> assertThat(ex.numLocks()).hasValue(numLocks));
        assertThatExceptionOfType(InvalidLockIdException.class)
                .isThrownBy(() -> manager.allocateAndRetrieveLock(numLocks));
        assertThat(manager.retrieveLock(numLocks - 1).id()).isEqualTo(numLocks - 1);
    }

    @Test
    void allocateWhenAllAllocatedShouldThrowNamingTheLimit() {
        assumeThat(manager.availableLocks()).as("bounded backend").isPresent();
        int numLocks = manager.availableLocks().getAsInt();
        for (int i = 0; i < numLocks; i++) {
            assertThat(manager.allocateLock().id()).isEqualTo(i);
        }
        assertThat(manager.availableLocks()).hasValue(0);
        assertThatExceptionOfType(LocksExhaustedException.class)
                .isThrownBy(manager::allocateLock)
                .withMessageContaining("All " + numLocks + " locks are allocated")
                .withMessageContaining("raise the lock count")
                .satisfies(ex -> assertThat(ex.numLocks()).isEqualTo(numLocks));
        manager.retrieveLock(numLocks / 2).free();
        assertThat(manager.allocateLock().id()).isEqualTo(numLocks / 2);
    }

    @Test
    void availableAndAllocatedCountsShouldAddUp() {
        OptionalInt capacity = manager.availableLocks();
        Locker first = manager.allocateLock();
        manager.allocateLock();
        assertThat(manager.allocatedLocks()).isEqualTo(2);
        first.free();
        assertThat(manager.allocatedLocks()).isEqualTo(1);
        capacity.ifPresent(numLocks -> assertThat(manager.availableLocks()).hasValue(numLocks - 1));
        if (capacity.isEmpty()) {
            assertThat(manager.availableLocks()).isEmpty();
        }
    }

    // --- Locker semantics ------------------------------------------------------------------

    @Test
    void unlockWhenUnlockedShouldThrow() {
        Locker locker = manager.allocateLock();
        assertThatExceptionOfType(IllegalMonitorStateException.class)
                .isThrownBy(locker::unlock)
                .withMessageContaining("lock " + locker.id())
                .withMessageContaining("not held through this manager");
        locker.lock();
        locker.unlock();
        assertThatExceptionOfType(IllegalMonitorStateException.class).isThrownBy(locker::unlock);
    }

    @Test
    void unlockFromAnotherThreadOfSameManagerShouldRelease() throws Exception {
        Locker locker = manager.allocateLock();
        locker.lock();
        onOtherThread(() -> {
            locker.unlock();
            return null;
        });
        assertThat(tryLockOnOtherThread(locker)).isTrue();
        locker.unlock();
    }

    /**
     * The self-deadlock check must recognise the calling thread's own hold only: a hold this
     * thread took and another thread of the manager ended, followed by a third thread's hold,
     * makes this thread wait like any other, not fail.
     */
    @Test
    void lockAfterAnotherThreadEndedOurHoldShouldWaitForTheNextHolderInsteadOfThrowing() throws Exception {
        Locker locker = manager.allocateLock();
        locker.lock();
        onOtherThread(() -> {
            locker.unlock();
            return null;
        });
        CountDownLatch thirdHolds = new CountDownLatch(1);
        CountDownLatch thirdMayUnlock = new CountDownLatch(1);
        Future<?> third = executor.submit(() -> {
            locker.lock();
            thirdHolds.countDown();
            thirdMayUnlock.await();
            locker.unlock();
            return null;
        });
        assertThat(thirdHolds.await(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
        thirdMayUnlock.countDown();
        locker.lock(); // waits for the third thread, or acquires at once if it was quick
        third.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(tryLockOnOtherThread(locker)).isFalse();
        locker.unlock();
        locker.lock();
        locker.unlock();
    }

    @Test
    void lockWhenCallingThreadHoldsItShouldThrowInsteadOfHanging() {
        Locker locker = manager.allocateLock();
        locker.lock();
        assertThatExceptionOfType(IllegalMonitorStateException.class)
                .isThrownBy(locker::lock)
                .withMessageContaining("already holds lock " + locker.id());
        assertThatExceptionOfType(IllegalMonitorStateException.class)
                .isThrownBy(() -> manager.retrieveLock(locker.id()).lockInterruptibly());
        assertThatExceptionOfType(IllegalMonitorStateException.class)
                .isThrownBy(() -> manager.retrieveLock(locker.id()).acquire());
        assertThat(locker.tryLock()).isFalse();
        locker.unlock();
    }

    @Test
    void tryLockWithTimeoutWhenHeldShouldTimeOut() throws Exception {
        Locker locker = manager.allocateLock();
        locker.lock();
        long start = System.nanoTime();
        assertThat(onOtherThread(() -> locker.tryLock(Duration.ofMillis(100)))).isFalse();
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(100));
        assertThat(onOtherThread(() -> locker.tryLock(Duration.ofMillis(-5)))).isFalse();
        locker.unlock();
    }

    @Test
    void tryLockWithTimeoutShouldAcquireWhenReleased() throws Exception {
        Locker locker = manager.allocateLock();
        locker.lock();
        CountDownLatch waiting = new CountDownLatch(1);
        Future<Boolean> waiter = executor.submit(() -> {
            waiting.countDown();
            boolean acquired = locker.tryLock(WAIT);
            if (acquired) {
                locker.unlock();
            }
            return acquired;
        });
        assertThat(waiting.await(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
        locker.unlock();
        assertThat(waiter.get(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
    }

    @Test
    void lockInterruptiblyShouldStopWaitingWhenInterrupted() throws Exception {
        Locker locker = manager.allocateLock();
        locker.lock();
        AtomicReference<Thread> waiterThread = new AtomicReference<>();
        CountDownLatch started = new CountDownLatch(1);
        Future<String> waiter = executor.submit(() -> {
            waiterThread.set(Thread.currentThread());
            started.countDown();
            try {
                locker.lockInterruptibly();
                return "acquired";
            } catch (InterruptedException ex) {
                return "interrupted";
            }
        });
        assertThat(started.await(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
        waiterThread.get().interrupt();
        assertThat(waiter.get(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo("interrupted");
        locker.unlock();
        assertThat(locker.tryLock())
                .as("the interrupted waiter does not hold it")
                .isTrue();
        locker.unlock();
    }

    @Test
    void lockShouldKeepWaitingWhenInterruptedAndRestoreTheStatus() throws Exception {
        Locker locker = manager.allocateLock();
        locker.lock();
        AtomicReference<Thread> waiterThread = new AtomicReference<>();
        CountDownLatch started = new CountDownLatch(1);
        Future<Boolean> waiter = executor.submit(() -> {
            waiterThread.set(Thread.currentThread());
            started.countDown();
            locker.lock();
            boolean interrupted = Thread.currentThread().isInterrupted();
            locker.unlock();
            return interrupted;
        });
        assertThat(started.await(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
        waiterThread.get().interrupt();
        assertThatExceptionOfType(TimeoutException.class)
                .as("lock() keeps waiting after an interrupt")
                .isThrownBy(() -> waiter.get(200, TimeUnit.MILLISECONDS));
        locker.unlock();
        assertThat(waiter.get(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
    }

    @Test
    void acquireShouldReleaseWhenHandleIsClosed() throws Exception {
        Locker locker = manager.allocateLock();
        try (LockHandle held = locker.acquire()) {
            assertThat(held.locker()).isSameAs(locker);
            assertThat(tryLockOnOtherThread(locker)).isFalse();
        }
        assertThat(tryLockOnOtherThread(locker)).isTrue();
        locker.unlock();
    }

    @Test
    void threadsIncrementingUnderOneLockShouldLoseNoUpdate() throws Exception {
        Locker locker = manager.allocateLock();
        int threads = 4;
        int iterations = 5_000;
        long[] counter = {0};
        CyclicBarrier start = new CyclicBarrier(threads);
        List<Future<?>> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            workers.add(executor.submit(() -> {
                start.await(WAIT.toMillis(), TimeUnit.MILLISECONDS);
                for (int i = 0; i < iterations; i++) {
                    locker.lock();
                    try {
                        counter[0]++;
                    } finally {
                        locker.unlock();
                    }
                }
                return null;
            }));
        }
        for (Future<?> worker : workers) {
            worker.get(60, TimeUnit.SECONDS);
        }
        locker.lock();
        assertThat(counter[0]).isEqualTo((long) threads * iterations);
        locker.unlock();
    }

    // --- Ownership by manager instance ------------------------------------------------------

    @Test
    void secondManagerShouldBeExcludedLikeAnotherProcess() throws Exception {
        Manager second = secondManager();
        Locker mine = manager.allocateLock();
        Locker theirs = second.retrieveLock(mine.id());
        mine.lock();
        assertThat(theirs.tryLock()).isFalse();
        assertThat(theirs.tryLock(Duration.ofMillis(50))).isFalse();
        mine.unlock();
        assertThat(theirs.tryLock()).isTrue();
        assertThat(tryLockOnOtherThread(mine)).isFalse();
        theirs.unlock();
    }

    @Test
    void unlockThroughAnotherManagerShouldThrowAndChangeNothing() throws Exception {
        Manager second = secondManager();
        Locker mine = manager.allocateLock();
        mine.lock();
        assertThatExceptionOfType(IllegalMonitorStateException.class)
                .isThrownBy(() -> second.retrieveLock(mine.id()).unlock());
        assertThat(second.retrieveLock(mine.id()).tryLock()).isFalse();
        mine.unlock();
    }

    @Test
    void secondManagerShouldSeeAllocationsAndNames() {
        Manager second = secondManager();
        manager.allocateLock();
        Locker named = manager.namedLock("shared-name");
        assertThat(second.allocatedLocks()).isEqualTo(2);
        assertThat(second.allocateLock().id()).isEqualTo(2);
        assertThat(second.namedLock("shared-name").id()).isEqualTo(named.id());
    }

    @Test
    void locksHeldShouldListLocksOfEveryManagerAscendingWithoutTakingThem() throws Exception {
        Locker high = manager.retrieveLock(5);
        Locker low = manager.allocateLock();
        high.lock();
        low.lock();
        List<HeldLock> held = manager.locksHeld();
        assertThat(held).extracting(HeldLock::id).containsExactly(low.id(), 5);
        held.forEach(lock -> lock.ownerPid()
                .ifPresent(
                        pid -> assertThat(pid).isEqualTo(ProcessHandle.current().pid())));
        assertThat(tryLockOnOtherThread(high)).as("still held after reading").isFalse();
        high.unlock();
        low.unlock();
        assertThat(manager.locksHeld()).isEmpty();
    }

    @Test
    void locksHeldShouldIncludeLocksOfOtherManagers() {
        Manager second = secondManager();
        Locker theirs = second.retrieveLock(2);
        theirs.lock();
        assertThat(manager.locksHeld()).extracting(HeldLock::id).containsExactly(2);
        theirs.unlock();
    }

    // --- close() -----------------------------------------------------------------------------

    @Test
    void closeShouldReleaseHeldLocksAndRefuseFurtherUse() throws Exception {
        Locker locker = manager.allocateLock();
        locker.lock();
        Optional<Manager> second = openSecondManager(manager).map(this::track);
        manager.close();
        second.ifPresent(other -> assertThat(other.retrieveLock(locker.id()).tryLock())
                .as("released by close")
                .isTrue());
        assertThatExceptionOfType(ManagerClosedException.class)
                .isThrownBy(manager::allocateLock)
                .withMessageContaining("is closed");
        assertThatExceptionOfType(ManagerClosedException.class).isThrownBy(locker::lock);
        assertThatExceptionOfType(ManagerClosedException.class).isThrownBy(locker::unlock);
        assertThatExceptionOfType(ManagerClosedException.class).isThrownBy(() -> manager.retrieveLock(0));
        assertThatExceptionOfType(ManagerClosedException.class).isThrownBy(manager::locksHeld);
        assertThatExceptionOfType(ManagerClosedException.class).isThrownBy(manager::lockNames);
        manager.close();
    }

    /**
     * Threads locking and unlocking while the manager closes: every one of them ends with {@link
     * ManagerClosedException}, and no lock stays held (checked through a second manager where the
     * backend has one). Close and a thread that acquired just as it closed may both try to
     * release; exactly one must.
     */
    @Test
    void closeWhileThreadsLockAndUnlockShouldEndThemAllAndLeaveNoLockHeld() throws Exception {
        List<Locker> lockers = List.of(manager.allocateLock(), manager.allocateLock(), manager.allocateLock());
        Optional<Manager> other = openSecondManager(manager).map(this::track);
        CountDownLatch warmedUp = new CountDownLatch(lockers.size());
        List<Future<RuntimeException>> workers = new ArrayList<>();
        for (Locker locker : lockers) {
            workers.add(executor.submit(() -> {
                try {
                    for (long i = 0; ; i++) {
                        locker.lock();
                        locker.unlock();
                        if (i == 10_000) {
                            warmedUp.countDown();
                        }
                    }
                } catch (RuntimeException ex) {
                    return ex;
                }
            }));
        }
        assertThat(warmedUp.await(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
        manager.close();
        for (Future<RuntimeException> worker : workers) {
            assertThat(worker.get(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isInstanceOf(ManagerClosedException.class);
        }
        other.ifPresent(second -> {
            for (Locker locker : lockers) {
                Locker theirs = second.retrieveLock(locker.id());
                assertThat(theirs.tryLock()).as("lock %d released", locker.id()).isTrue();
                theirs.unlock();
            }
        });
    }

    // --- Named locks ------------------------------------------------------------------------

    @Test
    void namedLockShouldBindOneIdPerName() throws Exception {
        Locker first = manager.namedLock("invoice-42");
        Locker again = manager.namedLock("invoice-42");
        Locker other = manager.namedLock("invoice-43");
        assertThat(again.id()).isEqualTo(first.id());
        assertThat(other.id()).isNotEqualTo(first.id());
        assertThat(manager.allocatedLocks()).isEqualTo(2);
        first.lock();
        assertThat(tryLockOnOtherThread(again)).isFalse();
        first.unlock();
    }

    @Test
    void namedLockShouldBeReportedByLocksHeld() {
        Locker named = manager.namedLock("report-me");
        named.lock();
        assertThat(manager.locksHeld()).singleElement().satisfies(held -> {
            assertThat(held.id()).isEqualTo(named.id());
            assertThat(held.name()).hasValue("report-me");
        });
        named.unlock();
    }

    @Test
    void freeOnNamedLockShouldReleaseIdAndName() {
        Locker named = manager.namedLock("temporary");
        manager.allocateLock();
        named.free();
        assertThat(manager.allocatedLocks()).isEqualTo(1);
        Locker rebound = manager.namedLock("temporary");
        assertThat(rebound.id()).isEqualTo(named.id());
        assertThat(manager.allocatedLocks()).isEqualTo(2);
    }

    @Test
    void freeAllLocksShouldForgetNames() {
        manager.allocateLock();
        Locker named = manager.namedLock("forgotten");
        manager.freeAllLocks();
        assertThat(manager.allocatedLocks()).isZero();
        assertThat(manager.allocateLock().id()).isZero();
        assertThat(named.id()).isEqualTo(1);
        assertThat(manager.namedLock("forgotten").id()).isEqualTo(1);
        assertThat(manager.allocatedLocks()).as("the name was bound anew").isEqualTo(2);
    }

    @Test
    void namedLockShouldAcceptUnicodeUpTo255Characters() {
        String longest = "é".repeat(254) + "\uD83D\uDD12";
        assertThat(manager.namedLock(longest).id())
                .isEqualTo(manager.namedLock(longest).id());
        assertThat(manager.namedLock("ロック/with spaces").id()).isNotNegative();
    }

    @Test
    void namedLockShouldRejectInvalidNames() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> manager.namedLock(""))
                .withMessageContaining("1 to 255 characters");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> manager.namedLock("x".repeat(256)))
                .withMessageContaining("has 256 characters");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> manager.namedLock("bad\uD800name"))
                .withMessageContaining("unpaired surrogate U+D800 at index 3");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> manager.namedLock("nul\u0000"))
                .withMessageContaining("control character U+0000");
        assertThat(manager.allocatedLocks()).isZero();
    }

    @Test
    void lockNamesShouldListBindingsSortedWithoutAllocating() {
        Locker zeta = manager.namedLock("zeta");
        manager.allocateLock();
        Locker alpha = manager.namedLock("alpha");
        Locker upper = manager.namedLock("Mike");
        Locker unicode = manager.namedLock("ロック");
        int allocated = manager.allocatedLocks();
        OptionalInt available = manager.availableLocks();
        SortedMap<String, Integer> names = manager.lockNames();
        assertThat(names)
                .containsExactly(
                        entry("Mike", upper.id()),
                        entry("alpha", alpha.id()),
                        entry("zeta", zeta.id()),
                        entry("ロック", unicode.id()));
        assertThat(manager.allocatedLocks()).as("nothing allocated by reading").isEqualTo(allocated);
        assertThat(manager.availableLocks()).isEqualTo(available);
        assertThatExceptionOfType(UnsupportedOperationException.class).isThrownBy(() -> names.put("sneaky", 9));
    }

    @Test
    void lockNamesWhenNoNameIsBoundShouldBeEmpty() {
        manager.allocateLock();
        manager.allocateAndRetrieveLock(7);
        assertThat(manager.lockNames()).isEmpty();
        assertThat(manager.allocatedLocks()).isEqualTo(2);
    }

    @Test
    void lockNamesShouldNotTakeTheLockOfAHeldName() throws Exception {
        Locker named = manager.namedLock("busy");
        named.lock();
        assertThat(onOtherThread(manager::lockNames)).containsExactly(entry("busy", named.id()));
        assertThat(tryLockOnOtherThread(named)).as("still held after reading").isFalse();
        named.unlock();
    }

    @Test
    void lockNamesShouldShowBindingsOfSecondManager() {
        Manager second = secondManager();
        Locker mine = manager.namedLock("mine");
        assertThat(second.lockNames()).containsExactly(entry("mine", mine.id()));
        Locker theirs = second.namedLock("theirs");
        assertThat(manager.lockNames()).containsExactly(entry("mine", mine.id()), entry("theirs", theirs.id()));
        theirs.free();
        assertThat(manager.lockNames()).containsExactly(entry("mine", mine.id()));
        second.freeAllLocks();
        assertThat(manager.lockNames()).isEmpty();
    }

    @Test
    void lockNamesShouldForgetFreedNames() {
        Locker kept = manager.namedLock("kept");
        Locker freed = manager.namedLock("freed");
        freed.free();
        assertThat(manager.lockNames()).containsExactly(entry("kept", kept.id()));
        Locker rebound = manager.namedLock("rebound");
        assertThat(manager.lockNames()).containsExactly(entry("kept", kept.id()), entry("rebound", rebound.id()));
        manager.freeAllLocks();
        assertThat(manager.lockNames()).isEmpty();
    }

    /**
     * One thread binds and frees names of equal length over and over, so that the same ID is
     * rebound to other bytes, while this thread lists the names: every listed entry must be a
     * whole name that was bound to that ID, never a mix of two (a torn read), and nothing may be
     * left over. What this cannot show: that a torn read is detected, since the interleaving that
     * tears a copy (a free and a new bind of the same ID within one copy of a name) is far too rare
     * to be hit on purpose from threads; backends that read without a lock test their detection
     * directly (for example {@code SHMLockManagerTests}).
     */
    @Test
    void lockNamesWhileNamesChangeShouldListOnlyWholeBindings() throws Exception {
        // The longest names (255 code points of 4 UTF-8 bytes each) make the copy window widest.
        List<String> candidates =
                List.of("\uD83D\uDD12".repeat(255), "\uD83D\uDD13".repeat(255), "\uD83D\uDD11".repeat(255));
        int rounds = 2000;
        Future<?> writer = executor.submit(() -> {
            for (int round = 0; round < rounds; round++) {
                manager.namedLock(candidates.get(round % candidates.size())).free();
            }
            return null;
        });
        int reads = 0;
        while (!writer.isDone() || reads == 0) {
            for (Map.Entry<String, Integer> binding : manager.lockNames().entrySet()) {
                assertThat(candidates).contains(binding.getKey());
                assertThat(binding.getValue()).isZero();
            }
            reads++;
        }
        writer.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(manager.lockNames()).isEmpty();
    }

    @Test
    void concurrentRequestsForNewNameShouldAllocateExactlyOneId() throws Exception {
        int threads = 4;
        CyclicBarrier start = new CyclicBarrier(threads);
        List<Future<Integer>> ids = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            ids.add(executor.submit(() -> {
                start.await(WAIT.toMillis(), TimeUnit.MILLISECONDS);
                return manager.namedLock("raced").id();
            }));
        }
        Set<Integer> distinct = new HashSet<>();
        for (Future<Integer> id : ids) {
            distinct.add(id.get(WAIT.toMillis(), TimeUnit.MILLISECONDS));
        }
        assertThat(distinct).hasSize(1);
        assertThat(manager.allocatedLocks()).isEqualTo(1);
    }

    @Test
    void namedLockWhenAllAllocatedShouldThrow() {
        assumeThat(manager.availableLocks()).as("bounded backend").isPresent();
        int numLocks = manager.availableLocks().getAsInt();
        for (int i = 0; i < numLocks; i++) {
            manager.allocateLock();
        }
        assertThatExceptionOfType(LocksExhaustedException.class).isThrownBy(() -> manager.namedLock("one-too-many"));
    }

    @Test
    void waitingThreadsShouldAllEventuallyAcquire() throws Exception {
        Locker locker = manager.allocateLock();
        locker.lock();
        int waiters = 3;
        CountDownLatch started = new CountDownLatch(waiters);
        AtomicBoolean overlap = new AtomicBoolean();
        AtomicBoolean inside = new AtomicBoolean();
        List<Future<?>> futures = new ArrayList<>();
        for (int i = 0; i < waiters; i++) {
            futures.add(executor.submit(() -> {
                started.countDown();
                locker.lock();
                if (!inside.compareAndSet(false, true)) {
                    overlap.set(true);
                }
                inside.set(false);
                locker.unlock();
                return null;
            }));
        }
        assertThat(started.await(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
        locker.unlock();
        for (Future<?> future : futures) {
            future.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        }
        assertThat(overlap).isFalse();
    }

    // --- Fencing tokens and hold validity ---------------------------------------------------

    @Test
    void fencingTokenShouldBeStableWithinAHoldAndPositive() {
        Locker locker = manager.allocateLock();
        try (LockHandle held = locker.acquire()) {
            long token = held.fencingToken();
            assertThat(token).isPositive();
            assertThat(held.fencingToken()).isEqualTo(token);
            assertThat(locker.fencingToken()).isEqualTo(token);
            assertThat(manager.retrieveLock(locker.id()).fencingToken())
                    .as("another handle of the same lock, same manager")
                    .isEqualTo(token);
        }
    }

    @Test
    void fencingTokensShouldStrictlyIncreaseAcrossHoldsAndAcquisitionKinds() throws Exception {
        Locker locker = manager.allocateLock();
        List<Long> tokens = new ArrayList<>();
        locker.lock();
        tokens.add(locker.fencingToken());
        locker.unlock();
        assertThat(locker.tryLock()).isTrue();
        tokens.add(locker.fencingToken());
        locker.unlock();
        assertThat(locker.tryLock(WAIT)).isTrue();
        tokens.add(locker.fencingToken());
        locker.unlock();
        locker.lockInterruptibly();
        tokens.add(locker.fencingToken());
        locker.unlock();
        tokens.add(onOtherThread(() -> {
            try (LockHandle held = locker.acquire()) {
                return held.fencingToken();
            }
        }));
        assertThat(tokens).isSorted().doesNotHaveDuplicates();
    }

    @Test
    void fencingTokensShouldStrictlyIncreaseAcrossInterleavedManagers() {
        Manager second = secondManager();
        Locker mine = manager.allocateLock();
        Locker theirs = second.retrieveLock(mine.id());
        List<Long> tokens = new ArrayList<>();
        for (int round = 0; round < 20; round++) {
            Locker locker = round % 3 == 0 ? theirs : mine;
            try (LockHandle held = locker.acquire()) {
                tokens.add(held.fencingToken());
            }
        }
        assertThat(tokens).isSorted().doesNotHaveDuplicates();
    }

    @Test
    void fencingTokensOfDifferentLocksShouldBeIndependentOfEachOther() {
        Locker first = manager.allocateLock();
        Locker second = manager.allocateLock();
        long firstToken;
        try (LockHandle held = first.acquire()) {
            firstToken = held.fencingToken();
        }
        for (int i = 0; i < 5; i++) {
            try (LockHandle held = second.acquire()) {
                held.fencingToken();
            }
        }
        try (LockHandle held = first.acquire()) {
            assertThat(held.fencingToken()).isGreaterThan(firstToken);
        }
    }

    @Test
    void fencingTokenShouldGrowAfterFreeAndReallocation() {
        Locker locker = manager.allocateLock();
        long before;
        try (LockHandle held = locker.acquire()) {
            before = held.fencingToken();
        }
        locker.free();
        Locker again = manager.allocateLock();
        assertThat(again.id()).isEqualTo(locker.id());
        try (LockHandle held = again.acquire()) {
            assertThat(held.fencingToken()).isGreaterThan(before);
        }
    }

    @Test
    void fencingTokenShouldGrowAcrossFreeAllLocks() {
        Locker locker = manager.allocateLock();
        long before;
        try (LockHandle held = locker.acquire()) {
            before = held.fencingToken();
        }
        manager.freeAllLocks();
        Locker again = manager.allocateAndRetrieveLock(locker.id());
        try (LockHandle held = again.acquire()) {
            assertThat(held.fencingToken()).isGreaterThan(before);
        }
    }

    @Test
    void fencingTokenWhenNotHeldHereShouldThrow() throws Exception {
        Locker locker = manager.allocateLock();
        assertThatExceptionOfType(IllegalMonitorStateException.class)
                .isThrownBy(locker::fencingToken)
                .withMessageContaining("is not held through this manager");
        Optional<Manager> second = openSecondManager(manager).map(this::track);
        if (second.isPresent()) {
            Locker theirs = second.get().retrieveLock(locker.id());
            theirs.lock();
            assertThatExceptionOfType(IllegalMonitorStateException.class).isThrownBy(locker::fencingToken);
            assertThat(theirs.fencingToken()).isPositive();
            theirs.unlock();
        }
    }

    @Test
    void handleShouldBeValidOnlyWhileItsHoldLasts() {
        Locker locker = manager.allocateLock();
        LockHandle first = locker.acquire();
        assertThat(first.isValid()).isTrue();
        long firstToken = first.fencingToken();
        first.close();
        assertThat(first.isValid()).as("after close").isFalse();
        assertThat(first.fencingToken()).as("still readable after the hold").isEqualTo(firstToken);

        LockHandle second = locker.acquire();
        locker.unlock();
        assertThat(second.isValid()).as("after unlock through the locker").isFalse();

        LockHandle third = locker.acquire();
        assertThat(second.isValid())
                .as("an ended hold stays ended when the lock is taken again")
                .isFalse();
        assertThat(third.isValid()).isTrue();
        assertThat(third.fencingToken()).isGreaterThan(firstToken);
        assertThatExceptionOfType(IllegalMonitorStateException.class)
                .as("closing an ended hold's handle reports it")
                .isThrownBy(() -> {
                    locker.unlock();
                    third.close();
                });
        assertThat(third.isValid()).isFalse();
    }

    @Test
    void handleShouldBecomeInvalidWhenItsManagerCloses() {
        Locker locker = manager.allocateLock();
        LockHandle held = locker.acquire();
        long token = held.fencingToken();
        manager.close();
        assertThat(held.isValid()).isFalse();
        assertThat(held.fencingToken()).isEqualTo(token);
        assertThatExceptionOfType(ManagerClosedException.class).isThrownBy(locker::fencingToken);
    }

    @Test
    void holdShouldStayValidAndExclusiveAcrossFreeAllLocks() throws Exception {
        Locker locker = manager.allocateLock();
        try (LockHandle held = locker.acquire()) {
            long token = held.fencingToken();
            manager.freeAllLocks();
            assertThat(held.isValid()).isTrue();
            assertThat(held.fencingToken()).isEqualTo(token);
            assertThat(locker.fencingToken()).isEqualTo(token);
            assertThat(tryLockOnOtherThread(locker)).isFalse();
        }
    }

    @Test
    void locksHeldShouldReportTheHoldersFencingTokenWhereTheBackendReadsIt() {
        Locker locker = manager.allocateLock();
        try (LockHandle held = locker.acquire()) {
            long token = held.fencingToken();
            HeldLock entry = manager.locksHeld().get(0);
            assertThat(entry.id()).isEqualTo(locker.id());
            if (entry.fencingToken().isPresent()) {
                assertThat(entry.fencingToken().getAsLong()).isEqualTo(token);
            }
        }
    }

    @Test
    void threadsTakingOneLockShouldDrawDistinctIncreasingTokens() throws Exception {
        Locker locker = manager.allocateLock();
        int threads = 3;
        int holds = 200;
        CyclicBarrier start = new CyclicBarrier(threads);
        List<Future<List<Long>>> futures = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            futures.add(executor.submit(() -> {
                start.await(WAIT.toMillis(), TimeUnit.MILLISECONDS);
                List<Long> mine = new ArrayList<>();
                for (int i = 0; i < holds; i++) {
                    try (LockHandle held = locker.acquire()) {
                        mine.add(held.fencingToken());
                    }
                }
                return mine;
            }));
        }
        Set<Long> all = new HashSet<>();
        for (Future<List<Long>> future : futures) {
            List<Long> mine = future.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            assertThat(mine).as("one thread's tokens").isSorted().doesNotHaveDuplicates();
            all.addAll(mine);
        }
        assertThat(all).as("distinct over all threads").hasSize(threads * holds);
    }

    // --- Temporary name locks ---------------------------------------------------------------

    /**
     * How many distinct temporary names {@link #distinctTemporaryNamesShouldLeaveAllocationWhereItStarted}
     * locks one after another; backends whose allocation is cheap raise it.
     *
     * @return the number of names
     */
    protected int distinctTemporaryNames() {
        return 2_000;
    }

    @Test
    void distinctTemporaryNamesShouldLeaveAllocationWhereItStarted() throws Exception {
        Locker permanent = manager.allocateLock();
        int before = manager.allocatedLocks();
        int names = distinctTemporaryNames();
        for (int i = 0; i < names; i++) {
            try (LockHandle held = manager.lockName("user-" + i)) {
                assertThat(held.isValid()).isTrue();
            }
        }
        assertThat(manager.allocatedLocks())
                .as("allocated after %d names", names)
                .isEqualTo(before);
        assertThat(manager.lockNames()).isEmpty();
        assertThat(manager.allocateLock().id()).isNotEqualTo(permanent.id());
    }

    @Test
    void temporaryNameShouldExcludeOtherHoldersAndFreeItsIdWhenReleased() throws Exception {
        Manager other = openSecondManager(manager).map(this::track).orElse(manager);
        int before = manager.allocatedLocks();
        LockHandle held = manager.lockName("invoice-42");
        assertThat(manager.allocatedLocks()).isEqualTo(before + 1);
        assertThat(onOtherThread(() -> other.tryLockName("invoice-42", Duration.ofMillis(100))))
                .isEmpty();
        assertThat(onOtherThread(() -> {
                    try (LockHandle unrelated = other.lockName("invoice-43")) {
                        return unrelated.locker().id();
                    }
                }))
                .isNotEqualTo(held.locker().id());
        Future<Boolean> waiter = executor.submit(() -> {
            try (LockHandle next = other.lockName("invoice-42")) {
                return next.isValid();
            }
        });
        held.close();
        assertThat(waiter.get(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
        assertThat(held.isValid()).isFalse();
        assertThat(manager.allocatedLocks()).isEqualTo(before);
    }

    @Test
    void temporaryNamesShouldBeHiddenFromLockNamesButShownInLocksHeld() throws Exception {
        manager.namedLock("permanent");
        try (LockHandle held = manager.lockName("temporary")) {
            assertThat(manager.lockNames()).containsOnlyKeys("permanent");
            assertThat(manager.locksHeld()).extracting(HeldLock::name).containsExactly(Optional.of("temporary"));
            assertThat(held.fencingToken()).isPositive();
            assertThat(manager.namedLock("temporary").id())
                    .isNotEqualTo(held.locker().id());
        }
    }

    @Test
    void temporaryNameLockedTwiceByOneThreadShouldThrowInsteadOfWaitingForever() throws Exception {
        try (LockHandle held = manager.lockName("job")) {
            assertThatExceptionOfType(IllegalMonitorStateException.class)
                    .isThrownBy(() -> manager.lockName("job"))
                    .withMessageContaining("already holds temporary name 'job'");
            assertThat(held.isValid()).isTrue();
        }
    }

    @Test
    void temporaryNameShouldRefuseKeysThatCannotBeStored() {
        assertThatIllegalArgumentException().isThrownBy(() -> manager.lockName("bad\u0001name"));
        String longest = "\uD83D\uDD12".repeat(255);
        assertThatIllegalArgumentException()
                .isThrownBy(() -> manager.lockName(longest))
                .withMessageContaining("at most 1019 bytes in UTF-8");
    }

    /**
     * The trap of waiting on a stale ID: the waiter for {@code N} waits on ID {@code L}; the
     * binding is removed and {@code L} is allocated to an unrelated holder, who keeps it. Waiting
     * on {@code L} would wait for that holder; the waiter must notice that {@code N} is unbound
     * and bind it anew.
     */
    @Test
    void waiterOnAnIdReusedByAnotherHolderShouldMoveToTheNameNewBinding() throws Exception {
        LockHandle first = manager.lockName("N");
        int stale = first.locker().id();
        AtomicReference<Thread> waiterThread = new AtomicReference<>();
        Future<Integer> waiter = executor.submit(() -> {
            waiterThread.set(Thread.currentThread());
            try (LockHandle held = manager.tryLockName("N", WAIT).orElseThrow()) {
                return held.locker().id();
            }
        });
        awaitWaiting(waiterThread);
        first.locker().free();
        Locker unrelated = manager.allocateLock();
        assertThat(unrelated.id()).as("the freed ID went to an unrelated user").isEqualTo(stale);
        // The unrelated user holds ID `stale` from here on (the hold passes from "N" to it).
        int moved = waiter.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(moved).isNotEqualTo(stale);
        first.locker().unlock();
    }

    /**
     * Waits until {@code thread} waits inside {@code tryLockName}: parked in this JVM, or in a
     * native call (a futex or a file lock), which the JVM reports as runnable.
     */
    private static void awaitWaiting(AtomicReference<Thread> thread) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!isWaitingForName(thread.get())) {
            assertThat(System.nanoTime() - deadline)
                    .as("waiter started waiting")
                    .isNegative();
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
    }

    private static boolean isWaitingForName(Thread thread) {
        if (thread == null) {
            return false;
        }
        StackTraceElement[] stack = thread.getStackTrace();
        boolean inTryLockName =
                Arrays.stream(stack).anyMatch(frame -> frame.getMethodName().equals("holdName"));
        Thread.State state = thread.getState();
        boolean parked = state == Thread.State.WAITING || state == Thread.State.TIMED_WAITING;
        return inTryLockName && (parked || (stack.length > 0 && stack[0].isNativeMethod()));
    }

    @Test
    void twoThreadsHoldingUnrelatedTemporaryNamesShouldNeverWaitForEachOther() throws Exception {
        CyclicBarrier bothHold = new CyclicBarrier(2);
        Callable<Integer> worker = () -> {
            String me = Thread.currentThread().getName();
            int rounds = 0;
            for (int i = 0; i < 200; i++) {
                try (LockHandle outer = manager.lockName(me + "-outer-" + i)) {
                    bothHold.await(WAIT.toMillis(), TimeUnit.MILLISECONDS);
                    try (LockHandle inner =
                            manager.tryLockName(me + "-inner-" + i, WAIT).orElseThrow()) {
                        rounds++;
                    }
                }
            }
            return rounds;
        };
        Future<Integer> a = executor.submit(worker);
        Future<Integer> b = executor.submit(worker);
        assertThat(a.get(WAIT.toMillis() * 2, TimeUnit.MILLISECONDS)).isEqualTo(200);
        assertThat(b.get(WAIT.toMillis() * 2, TimeUnit.MILLISECONDS)).isEqualTo(200);
        assertThat(manager.allocatedLocks()).isZero();
    }
}
