package dev.interlock.postgresql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import dev.interlock.Locker;
import dev.interlock.testing.ChildJvm;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Tests for the hand-off bound of {@link PostgresLockManager} ({@link
 * PostgresLockManager.Options#withHandOffAfter}): a manager that takes a lock again and again
 * hands it to a manager queued for it after at most the bound's number of acquisitions, and a run
 * left idle ends by the hand-off time. The relocking manager runs in a child JVM and counts its own
 * acquisitions; the test reads the count while it holds the lock, when the count cannot move.
 *
 * @author Interlock team
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PostgresHandOffTests {

    private static final int ID = 2;

    private static final Duration WAIT = Duration.ofSeconds(60);

    private final String url = TestServers.local();

    private final String space = TestServers.uniqueSpace("handoff");

    private final List<PostgresLockManager> managers = new ArrayList<>();

    @AfterEach
    void closeAndDrop() {
        managers.forEach(PostgresLockManager::close);
        PostgresLockManager.drop(url, space, TestServers.options());
    }

    private PostgresLockManager manager(PostgresLockManager.Options options) {
        PostgresLockManager manager = PostgresLockManager.openOrCreate(url, space, 8, options);
        managers.add(manager);
        return manager;
    }

    @Test
    void relockingManagerShouldHandTheLockToTheQueueAfterItsBound() throws Exception {
        int bound = 5;
        // The gate keeper hands off at its first release, so the relocking child goes first and
        // the measured waiter is behind it in the queue.
        Locker keeper = manager(TestServers.options().withHandOffAfter(1, Duration.ofSeconds(10)))
                .retrieveLock(ID);
        Locker waiter = manager(TestServers.options()).retrieveLock(ID);
        try (ChildJvm relocker = ChildJvm.start(
                RelockChild.class, url, space, "8", Integer.toString(ID), Integer.toString(bound), "10000")) {
            relocker.awaitLine("RELOCKING", WAIT);
            for (int trial = 0; trial < 10; trial++) {
                keeper.lock();
                awaitWaiters(1);
                CompletableFuture<Void> waited = CompletableFuture.runAsync(waiter::lock);
                awaitWaiters(2);
                long before = count(relocker, trial + "a");
                keeper.unlock();
                waited.get(WAIT.toSeconds(), TimeUnit.SECONDS);
                long acquisitions = count(relocker, trial + "b") - before;
                waiter.unlock();
                // The relocker's run is its acquisition through the queue and bound - 1 more; one
                // more is slack for a release that ended the run while the relocker's next try
                // was already on its way.
                assertThat(acquisitions)
                        .as(
                                "acquisitions of the relocking child between the queued waiter's lock() and its"
                                        + " acquisition, trial %d",
                                trial)
                        .isBetween(1L, (long) bound + 1);
            }
            relocker.send("STOP");
            assertThat(relocker.awaitExit(WAIT)).isZero();
        }
    }

    @Test
    void runLeftIdleShouldEndByTheHandOffTimeSoThatTheQueueMovesOn() throws Exception {
        Locker first = manager(TestServers.options()).retrieveLock(ID);
        Locker idle = manager(TestServers.options().withHandOffAfter(1_000, Duration.ofMillis(200)))
                .retrieveLock(ID);
        Locker next = manager(TestServers.options()).retrieveLock(ID);
        first.lock();
        CompletableFuture<Void> queued = CompletableFuture.runAsync(idle::lock);
        awaitWaiters(1);
        first.unlock();
        queued.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        // Acquired through the queue: the run keeps the queue key after this release.
        idle.unlock();
        assertThat(next.tryLock(WAIT))
                .as("acquired once the idle run's hand-off time is over")
                .isTrue();
        next.unlock();
        assertThat(idle.tryLock(WAIT)).isTrue();
        idle.unlock();
    }

    @Test
    void withHandOffAfterShouldRejectOutOfRangeValuesWithTheValueAndTheDefault() {
        PostgresLockManager.Options options = PostgresLockManager.Options.defaults();
        assertThat(options.handOffAcquisitions()).isEqualTo(200);
        assertThat(options.handOffTime()).isEqualTo(Duration.ofMillis(20));
        assertThat(options.withHandOffAfter(1, Duration.ofMillis(1)).handOffAcquisitions())
                .isEqualTo(1);
        assertThat(options.withHandOffAfter(1_000_000, Duration.ofSeconds(10)).handOffTime())
                .isEqualTo(Duration.ofSeconds(10));
        assertThatIllegalArgumentException()
                .isThrownBy(() -> options.withHandOffAfter(0, Duration.ofMillis(20)))
                .withMessage("The hand-off count must be 1 to 1000000 acquisitions, but was 0; the default is 200"
                        + " (1 hands a lock off at every release when a manager waits for it)");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> options.withHandOffAfter(1_000_001, Duration.ofMillis(20)))
                .withMessageContaining("but was 1000001");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> options.withHandOffAfter(200, Duration.ofNanos(999_999)))
                .withMessage("The hand-off time must be 1 ms to 10 s, but was 0.999999 ms; the default is 20 ms,"
                        + " and a waiting manager may wait about this long for each manager ahead of it");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> options.withHandOffAfter(200, Duration.ofSeconds(11)))
                .withMessageContaining("but was 11000.0 ms");
    }

    /** Asks the child for its count; the reply is tagged so that earlier replies do not match. */
    private static long count(ChildJvm child, String tag) {
        child.send("COUNT " + tag);
        String line = child.awaitLine("COUNT " + tag + " ", WAIT);
        return Long.parseLong(line.substring(line.lastIndexOf(' ') + 1));
    }

    /**
     * Waits (bounded) until {@code count} sessions wait on the server for lock {@link #ID} or its
     * queue key.
     */
    private void awaitWaiters(int count) throws SQLException, InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        try (Connection connection = DriverManager.getConnection(url);
                PreparedStatement ps = connection.prepareStatement("SELECT count(*) FROM pg_locks l"
                        + " JOIN interlock.lock_space s ON l.classid = s.space_key::bigint::oid"
                        + " WHERE s.name = ? AND l.locktype = 'advisory' AND l.objsubid = 2"
                        + " AND l.objid::bigint IN (?, ?) AND NOT l.granted")) {
            ps.setString(1, space);
            ps.setLong(2, ID);
            ps.setLong(3, 4294967296L + Waiters.queueKey(ID));
            while (true) {
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    if (rs.getInt(1) >= count) {
                        return;
                    }
                }
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("Fewer than " + count + " sessions waited for lock " + ID + " within "
                            + WAIT.toMillis() + " ms");
                }
                Thread.sleep(5);
            }
        }
    }
}
