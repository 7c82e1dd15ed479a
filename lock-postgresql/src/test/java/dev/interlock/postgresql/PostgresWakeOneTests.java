package dev.interlock.postgresql;

import static org.assertj.core.api.Assertions.assertThat;

import dev.interlock.Locker;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Tests that waiters of one lock queue on the server on the lock's queue key, so that a release
 * wakes one waiting manager, not all of them, and that the queue key is given up when a wait ends
 * without the lock. The server's lock table ({@code pg_locks}) shows where each waiter session
 * sleeps; every wait for a state below is bounded, and no test sleeps to synchronize. Managers in
 * one JVM have their own sessions, which is all the server sees; the process tests cover separate
 * JVMs.
 *
 * @author Interlock team
 */
class PostgresWakeOneTests {

    private static final int ID = 3;

    private static final Duration BOUND = Duration.ofSeconds(20);

    private final String url = TestServers.local();

    private final String space = TestServers.uniqueSpace("wake");

    private final List<PostgresLockManager> managers = new ArrayList<>();

    private final ExecutorService threads = Executors.newCachedThreadPool();

    @AfterEach
    void closeAndDrop() {
        threads.shutdownNow();
        managers.forEach(PostgresLockManager::close);
        PostgresLockManager.drop(url, space);
    }

    private PostgresLockManager manager() {
        PostgresLockManager manager = PostgresLockManager.openOrCreate(url, space, 8, TestServers.options());
        managers.add(manager);
        return manager;
    }

    @Test
    void releaseWhenThreeManagersWaitShouldWakeOneAtATime() throws Exception {
        Locker first = manager().retrieveLock(ID);
        first.lock();
        List<Locker> waiting = List.of(
                manager().retrieveLock(ID),
                manager().retrieveLock(ID),
                manager().retrieveLock(ID));
        CountDownLatch[] acquired = new CountDownLatch[3];
        CountDownLatch[] release = new CountDownLatch[3];
        Semaphore returned = new Semaphore(0);
        List<Future<?>> runs = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Locker locker = waiting.get(i);
            CountDownLatch got = acquired[i] = new CountDownLatch(1);
            CountDownLatch done = release[i] = new CountDownLatch(1);
            runs.add(threads.submit(() -> {
                locker.lock();
                got.countDown();
                returned.release();
                done.await();
                locker.unlock();
                return null;
            }));
        }
        // One waiter at the head of the queue waits for the lock itself; the two others wait for the head.
        awaitLocks(new Locks(1, 1, 1, 2));
        first.unlock();
        boolean[] finished = new boolean[3];
        for (int left = 2; left >= 0; left--) {
            // Each release lets exactly one waiter through: the others stay queued behind the queue key.
            awaitLocks(new Locks(1, left > 0 ? 1 : 0, left > 0 ? 1 : 0, Math.max(0, left - 1)));
            assertThat(returned.tryAcquire(BOUND.toSeconds(), TimeUnit.SECONDS))
                    .as("a waiter returned from lock()")
                    .isTrue();
            int holder = -1;
            int holding = 0;
            for (int i = 0; i < 3; i++) {
                if (!finished[i] && acquired[i].getCount() == 0) {
                    holder = i;
                    holding++;
                }
            }
            assertThat(holding).as("waiters that returned from lock()").isEqualTo(1);
            release[holder].countDown();
            runs.get(holder).get(BOUND.toSeconds(), TimeUnit.SECONDS);
            finished[holder] = true;
        }
        awaitLocks(new Locks(0, 0, 0, 0));
    }

    @Test
    void waitsEndedByTimeoutOrInterruptShouldGiveTheQueueUp() throws Exception {
        Locker holder = manager().retrieveLock(ID);
        holder.lock();
        Locker timed = manager().retrieveLock(ID);
        Locker interrupted = manager().retrieveLock(ID);
        Locker queuedBehind = manager().retrieveLock(ID);

        // A timed wait at the head of the queue, and one queued behind it, both end and give the queue key up.
        CompletableFuture<Boolean> atHead = CompletableFuture.supplyAsync(() -> tryLock(timed, 1500), threads);
        awaitLocks(new Locks(1, 1, 1, 0));
        assertThat(tryLock(queuedBehind, 300)).isFalse();
        assertThat(atHead.get(BOUND.toSeconds(), TimeUnit.SECONDS)).isFalse();
        awaitLocks(new Locks(1, 0, 0, 0));

        // An interrupted wait gives the queue key up too.
        Future<?> waiter = threads.submit(() -> {
            interrupted.lockInterruptibly();
            return null;
        });
        awaitLocks(new Locks(1, 1, 1, 0));
        waiter.cancel(true);
        awaitLocks(new Locks(1, 0, 0, 0));

        // A later waiter is not blocked: it reaches the head at once and takes the lock on release.
        CompletableFuture<Boolean> later = CompletableFuture.supplyAsync(() -> tryLock(queuedBehind, 15_000), threads);
        awaitLocks(new Locks(1, 1, 1, 0));
        holder.unlock();
        assertThat(later.get(BOUND.toSeconds(), TimeUnit.SECONDS)).isTrue();
        assertThat(managers.get(3).locksHeld())
                .singleElement()
                .satisfies(held -> assertThat(held.id()).isEqualTo(ID));
        queuedBehind.unlock();
        // The sessions whose waits ended are reused: the timed-out manager takes the lock on its next try.
        assertThat(tryLock(timed, 5000)).isTrue();
        timed.unlock();
        awaitLocks(new Locks(0, 0, 0, 0));
    }

    private static boolean tryLock(Locker locker, long millis) {
        try {
            return locker.tryLock(Duration.ofMillis(millis));
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(ex);
        }
    }

    /**
     * The advisory locks of lock {@link #ID} and of its queue key: held, waits for the lock, queue
     * key held, waits for the queue key.
     */
    private record Locks(int held, int awaitingLock, int queueHeld, int awaitingQueue) {}

    /** Waits (bounded) until the server's lock table shows {@code expected}; fails with the last state. */
    private void awaitLocks(Locks expected) throws SQLException, InterruptedException {
        long deadline = System.nanoTime() + BOUND.toNanos();
        try (Connection connection = DriverManager.getConnection(url);
                PreparedStatement ps = connection.prepareStatement("SELECT"
                        + " count(*) FILTER (WHERE l.objid::bigint = ? AND l.mode = 'ExclusiveLock' AND l.granted),"
                        + " count(*) FILTER (WHERE l.objid::bigint = ? AND NOT l.granted),"
                        + " count(*) FILTER (WHERE l.objid::bigint = ? AND l.granted),"
                        + " count(*) FILTER (WHERE l.objid::bigint = ? AND NOT l.granted)"
                        + " FROM pg_locks l JOIN interlock.lock_space s ON l.classid = s.space_key::bigint::oid"
                        + " WHERE s.name = ? AND l.locktype = 'advisory' AND l.objsubid = 2")) {
            long queueObjid = Integer.toUnsignedLong(Waiters.queueKey(ID));
            ps.setLong(1, ID);
            ps.setLong(2, ID);
            ps.setLong(3, queueObjid);
            ps.setLong(4, queueObjid);
            ps.setString(5, space);
            Locks seen;
            while (true) {
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    seen = new Locks(rs.getInt(1), rs.getInt(2), rs.getInt(3), rs.getInt(4));
                }
                if (seen.equals(expected) || System.nanoTime() > deadline) {
                    break;
                }
                Thread.sleep(5);
            }
            assertThat(seen)
                    .as("advisory locks of lock %d and its queue key", ID)
                    .isEqualTo(expected);
        }
    }
}
