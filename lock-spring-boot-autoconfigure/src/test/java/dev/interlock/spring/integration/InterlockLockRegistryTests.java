package dev.interlock.spring.integration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import dev.interlock.LockHandle;
import dev.interlock.Locker;
import dev.interlock.Manager;
import dev.interlock.memory.InMemoryManager;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.Lock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Tests for {@link InterlockLockRegistry} in one process, on the expectations Spring
 * Integration's own registry tests set: locks reentrant per thread (also through a second {@code
 * obtain}), another thread or registry waits, only the owner unlocks, {@code lockInterruptibly}
 * ends on interrupt and {@code lock} does not; plus Interlock's own: keys bind no ID once
 * released. Processes are in {@link InterlockLockRegistryLeaderElectionTests}.
 *
 * @author Interlock team
 */
class InterlockLockRegistryTests {

    private final Manager manager = InMemoryManager.create(4);

    private final InterlockLockRegistry registry = new InterlockLockRegistry(manager);

    private final ExecutorService executor = Executors.newCachedThreadPool();

    @AfterEach
    void close() {
        executor.shutdownNow();
        manager.close();
    }

    @Test
    void lockShouldBeReentrantPerThreadAndTheSameInstanceWhileHeld() throws Exception {
        Lock first = registry.obtain("foo");
        first.lock();
        Lock second = registry.obtain("foo");
        assertThat(second).isSameAs(first);
        second.lockInterruptibly();
        assertThat(second.tryLock()).isTrue();
        second.unlock();
        second.unlock();
        assertThat(otherThreadTryLock("foo")).as("still held once").isFalse();
        first.unlock();
        assertThat(otherThreadTryLock("foo")).isTrue();
    }

    @Test
    void otherRegistryOverTheSameManagerShouldWaitForTheHolder() throws Exception {
        InterlockLockRegistry other = new InterlockLockRegistry(manager);
        Lock mine = registry.obtain("foo");
        mine.lockInterruptibly();
        CountDownLatch started = new CountDownLatch(1);
        AtomicBoolean locked = new AtomicBoolean();
        Future<?> waiter = executor.submit(() -> {
            Lock theirs = other.obtain("foo");
            started.countDown();
            theirs.lockInterruptibly();
            locked.set(true);
            theirs.unlock();
            return null;
        });
        assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
        Thread.sleep(100);
        assertThat(locked).isFalse();
        mine.unlock();
        waiter.get(10, TimeUnit.SECONDS);
        assertThat(locked).isTrue();
    }

    @Test
    void unlockByAnotherThreadShouldThrowNamingTheOwner() throws Exception {
        Lock lock = registry.obtain("foo");
        lock.lock();
        Future<?> wrong = executor.submit(lock::unlock);
        assertThatExceptionOfType(java.util.concurrent.ExecutionException.class)
                .isThrownBy(() -> wrong.get(10, TimeUnit.SECONDS))
                .havingCause()
                .isInstanceOf(IllegalMonitorStateException.class)
                .withMessageContaining("does not own the lock for 'foo' (thread '"
                        + Thread.currentThread().getName() + "' holds it)");
        lock.unlock();
        assertThatExceptionOfType(IllegalMonitorStateException.class)
                .isThrownBy(lock::unlock)
                .withMessageContaining("(no thread holds it)");
    }

    @Test
    void lockInterruptiblyShouldEndOnInterruptButLockShouldWaitOn() throws Exception {
        registry.obtain("foo").lock();
        CompletableFuture<String> outcome = new CompletableFuture<>();
        Thread interruptible = new Thread(() -> {
            try {
                registry.obtain("foo").lockInterruptibly();
                outcome.complete("locked");
            } catch (InterruptedException ex) {
                outcome.complete("interrupted");
            }
        });
        interruptible.start();
        awaitParked(interruptible);
        interruptible.interrupt();
        assertThat(outcome.get(10, TimeUnit.SECONDS)).isEqualTo("interrupted");

        CompletableFuture<Boolean> stubborn = new CompletableFuture<>();
        Thread waiter = new Thread(() -> {
            Lock lock = registry.obtain("foo");
            lock.lock();
            stubborn.complete(Thread.currentThread().isInterrupted());
            lock.unlock();
        });
        waiter.start();
        awaitParked(waiter);
        waiter.interrupt();
        Thread.sleep(100); // the interrupt must not end the wait: give it the chance to
        assertThat(stubborn).isNotDone();
        registry.obtain("foo").unlock();
        assertThat(stubborn.get(10, TimeUnit.SECONDS))
                .as("interrupt flag restored")
                .isTrue();
    }

    @Test
    void manyDistinctKeysShouldLeaveNoIdBound() throws Exception {
        for (int i = 0; i < 10_000; i++) {
            registry.executeLocked("key-" + i, () -> {});
        }
        assertThat(manager.allocatedLocks()).isZero();
        assertThat(registry).hasToString("InterlockLockRegistry(0 keys held)");
    }

    @Test
    void executeLockedWithTimeoutShouldTimeOutWhileAnotherThreadHolds() throws Exception {
        registry.obtain("foo").lock();
        Future<?> attempt = executor.submit(() -> {
            registry.executeLocked("foo", java.time.Duration.ofMillis(50), () -> {});
            return null;
        });
        assertThatExceptionOfType(java.util.concurrent.ExecutionException.class)
                .isThrownBy(() -> attempt.get(10, TimeUnit.SECONDS))
                .withCauseInstanceOf(java.util.concurrent.TimeoutException.class);
        registry.obtain("foo").unlock();
    }

    @Test
    void lostHoldShouldFailTheNextReentryAndTheLastUnlockAsSpringIntegrationDoes() throws Exception {
        LosingManager losing = new LosingManager(manager);
        InterlockLockRegistry onLosing = new InterlockLockRegistry(losing);
        Lock leader = onLosing.obtain("leader");
        assertThat(leader.tryLock(1, TimeUnit.SECONDS)).isTrue();
        losing.lose();
        assertThat(leader.tryLock(1, TimeUnit.SECONDS))
                .as("a heartbeat's reentry finds the hold lost")
                .isFalse();
        assertThatExceptionOfType(IllegalMonitorStateException.class)
                .as("the lost hold has ended")
                .isThrownBy(leader::unlock);
        assertThat(leader.tryLock()).as("a fresh acquisition").isTrue();
        losing.lose();
        assertThatExceptionOfType(java.util.ConcurrentModificationException.class)
                .isThrownBy(leader::unlock)
                .withMessageStartingWith("The lock for 'leader' was lost before it was unlocked");
        assertThat(manager.allocatedLocks()).as("both holds released").isZero();
    }

    @Test
    void nonStringKeyShouldBeRejected() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> registry.obtain(42))
                .withMessage("InterlockLockRegistry takes String keys, but got a java.lang.Integer (42); pass the"
                        + " key as a String, for example String.valueOf(key)");
    }

    @Test
    void newConditionShouldBeUnsupported() {
        assertThatExceptionOfType(UnsupportedOperationException.class)
                .isThrownBy(() -> registry.obtain("foo").newCondition());
    }

    private boolean otherThreadTryLock(String key) throws Exception {
        return executor.submit(() -> {
                    Lock lock = registry.obtain(key);
                    boolean locked = lock.tryLock();
                    if (locked) {
                        lock.unlock();
                    }
                    return locked;
                })
                .get(10, TimeUnit.SECONDS);
    }

    /** A manager whose name holds can be marked lost, as a backend that loses its session marks them. */
    private static final class LosingManager implements Manager {

        private final Manager delegate;

        private final java.util.List<java.util.concurrent.atomic.AtomicBoolean> valid =
                new java.util.concurrent.CopyOnWriteArrayList<>();

        LosingManager(Manager delegate) {
            this.delegate = delegate;
        }

        void lose() {
            valid.forEach(flag -> flag.set(false));
        }

        @Override
        public java.util.Optional<LockHandle> tryLockName(String name, java.time.Duration timeout)
                throws InterruptedException {
            return delegate.tryLockName(name, timeout).map(this::losable);
        }

        @Override
        public LockHandle lockName(String name) throws InterruptedException {
            return losable(delegate.lockName(name));
        }

        private LockHandle losable(LockHandle handle) {
            java.util.concurrent.atomic.AtomicBoolean flag = new java.util.concurrent.atomic.AtomicBoolean(true);
            valid.add(flag);
            return new LockHandle() {
                @Override
                public Locker locker() {
                    return handle.locker();
                }

                @Override
                public long fencingToken() {
                    return handle.fencingToken();
                }

                @Override
                public boolean isValid() {
                    return flag.get() && handle.isValid();
                }

                @Override
                public void close() {
                    handle.close();
                }
            };
        }

        @Override
        public Locker allocateLock() {
            return delegate.allocateLock();
        }

        @Override
        public Locker retrieveLock(int id) {
            return delegate.retrieveLock(id);
        }

        @Override
        public Locker allocateAndRetrieveLock(int id) {
            return delegate.allocateAndRetrieveLock(id);
        }

        @Override
        public void freeAllLocks() {
            delegate.freeAllLocks();
        }

        @Override
        public java.util.OptionalInt availableLocks() {
            return delegate.availableLocks();
        }

        @Override
        public int allocatedLocks() {
            return delegate.allocatedLocks();
        }

        @Override
        public java.util.List<dev.interlock.HeldLock> locksHeld() {
            return delegate.locksHeld();
        }

        @Override
        public Locker namedLock(String name) {
            return delegate.namedLock(name);
        }

        @Override
        public void close() {
            delegate.close();
        }
    }

    /** Waits (up to 10 s) until {@code thread} is parked, waiting for its lock in this JVM. */
    private static void awaitParked(Thread thread) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (thread.getState() != Thread.State.WAITING && thread.getState() != Thread.State.TIMED_WAITING) {
            assertThat(System.nanoTime() - deadline)
                    .as("%s started waiting", thread.getName())
                    .isNegative();
            Thread.sleep(1);
        }
    }
}
