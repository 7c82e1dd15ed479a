package dev.interlock.postgresql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

import dev.interlock.LockHandle;
import dev.interlock.LockLostException;
import dev.interlock.LostLock;
import dev.interlock.testing.ChildJvm;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Tests for {@link PostgresLockManager}: holds lost when the holder session ends or is cut off,
 * on the machine's server. Every wait is bounded; the session timeout is 2 s here so that the
 * tests stay short.
 *
 * @author Interlock team
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PostgresLostLockTests {

    private static final Duration SESSION_TIMEOUT = Duration.ofSeconds(2);

    private final List<AutoCloseable> resources = new ArrayList<>();

    private final BlockingQueue<Event> lost = new LinkedBlockingQueue<>();

    private final List<SessionState> states = new CopyOnWriteArrayList<>();

    private String url;

    private String space;

    private String fencedTable;

    /** A lost hold and when the listener heard of it. */
    record Event(LostLock lost, long atNanos) {}

    @BeforeEach
    void setUp() {
        url = TestServers.local();
        space = TestServers.uniqueSpace("lost");
        fencedTable = "interlock_fenced_" + space.replace('-', '_');
        TestServers.execute(
                url,
                "CREATE TABLE " + fencedTable + " (id int PRIMARY KEY, value bigint NOT NULL, fence bigint NOT NULL)",
                "INSERT INTO " + fencedTable + " VALUES (1, 0, 0)");
        PostgresLockManager.create(url, space, 8, TestServers.options()).close();
    }

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable resource : resources) {
            resource.close();
        }
        PostgresLockManager.drop(url, space, TestServers.options());
        TestServers.execute(url, "DROP TABLE IF EXISTS " + fencedTable);
    }

    private PostgresLockManager manager(String jdbcUrl, boolean listening) {
        PostgresLockManager.Options options = TestServers.options().withSessionTimeout(SESSION_TIMEOUT);
        if (listening) {
            options = options.withLockLostListener(hold -> lost.add(new Event(hold, System.nanoTime())))
                    .withSessionStateListener((previous, current, detail) -> states.add(current));
        }
        PostgresLockManager manager = PostgresLockManager.open(jdbcUrl, space, 8, options);
        resources.add(manager);
        return manager;
    }

    /** The fenced write of the README: accepted only with a token above every accepted one. */
    private boolean fencedWrite(long token, long value) throws SQLException {
        try (Connection connection = DriverManager.getConnection(url);
                PreparedStatement update = connection.prepareStatement(
                        "UPDATE " + fencedTable + " SET value = ?, fence = ? WHERE id = 1 AND fence < ?")) {
            update.setLong(1, value);
            update.setLong(2, token);
            update.setLong(3, token);
            return update.executeUpdate() == 1;
        }
    }

    private long holderBackendPid(int id) throws SQLException {
        try (Connection connection = DriverManager.getConnection(url);
                PreparedStatement ps = connection.prepareStatement("SELECT l.pid FROM pg_locks l"
                        + " JOIN interlock.lock_space s ON l.classid = s.space_key::bigint::oid"
                        + " WHERE s.name = ? AND l.locktype = 'advisory' AND l.objsubid = 2 AND l.objid = ?"
                        + " AND l.granted AND l.mode = 'ExclusiveLock'")) {
            ps.setString(1, space);
            ps.setLong(2, id);
            try (ResultSet rs = ps.executeQuery()) {
                assertThat(rs.next()).as("lock %d is held on the server", id).isTrue();
                return rs.getLong(1);
            }
        }
    }

    /**
     * A holder on this JVM is cut off by the proxy while a child JVM waits for its lock on the
     * server. Both events are stamped with {@link System#nanoTime()}, which on Linux reads the
     * monotonic clock shared by every process of the host, so the order can be checked.
     */
    @Test
    void partitionWithoutFinShouldTellTheHolderBeforeAnotherJvmTakesOverAndFenceItsWrite() throws Exception {
        TcpProxy proxy = new TcpProxy("127.0.0.1", portOf(url));
        resources.add(proxy);
        PostgresLockManager cutOff = manager(proxy.proxiedUrl(url), true);
        LockHandle held = cutOff.retrieveLock(3).acquire();
        long oldToken = held.fencingToken();
        assertThat(fencedWrite(oldToken, 1)).isTrue();

        try (ChildJvm taker = ChildJvm.start(TakerChild.class, PostgresOpener.location(url, space, 8), "3", "30")) {
            taker.awaitLine("WAITING", Duration.ofSeconds(30));
            TestServers.awaitServerSideWaiter(url, space, 3, Duration.ofSeconds(30));
            long cutAt = System.nanoTime();
            proxy.blackHole();

            Event event = lost.poll(10, TimeUnit.SECONDS);
            assertThat(event).as("the cut-off holder was told").isNotNull();
            assertThat(event.lost().id()).isEqualTo(3);
            assertThat(event.lost().fencingToken()).isEqualTo(oldToken);
            assertThat(event.lost().reason()).contains("did not answer");
            assertThat(held.isValid()).isFalse();
            assertThat(Duration.ofNanos(event.atNanos() - cutAt))
                    .as("told within the lease after the cut (plus scheduling on a busy machine)")
                    .isLessThan(SESSION_TIMEOUT.plusSeconds(1));

            String[] acquired =
                    taker.awaitLine("ACQUIRED", Duration.ofSeconds(30)).split(" ");
            long newToken = Long.parseLong(acquired[1]);
            long acquiredAt = Long.parseLong(acquired[2]);
            assertThat(newToken).as("the new holder's token").isGreaterThan(oldToken);
            assertThat(event.atNanos()).as("told before the lock changed hands").isLessThan(acquiredAt);
            assertThat(Duration.ofNanos(acquiredAt - cutAt))
                    .as("the server released the lock within the session timeout (plus scheduling)")
                    .isLessThan(SESSION_TIMEOUT.plusSeconds(2));
            assertThat(fencedWrite(newToken, 2)).isTrue();
            assertThat(fencedWrite(oldToken, 3))
                    .as("the stale holder's late write is refused")
                    .isFalse();
            taker.awaitSuccess(Duration.ofSeconds(30));
        }
        assertThat(states).contains(SessionState.LOST);
        assertThat(lost).as("told once").isEmpty();
        held.close(); // ends the lost hold without an exception
    }

    @Test
    void terminatedHolderSessionShouldReportEveryHoldOnceAndLockAgainOnANewSession() throws Exception {
        PostgresLockManager holder = manager(url, true);
        PostgresLockManager other = manager(url, false);
        LockHandle first = holder.retrieveLock(1).acquire();
        LockHandle second = holder.namedLock("terminated").acquire();
        long firstToken = first.fencingToken();
        long pid = holderBackendPid(1);
        TestServers.execute(url, "SELECT pg_terminate_backend(" + pid + ")");

        Event a = lost.poll(10, TimeUnit.SECONDS);
        Event b = lost.poll(10, TimeUnit.SECONDS);
        assertThat(a).isNotNull();
        assertThat(b).isNotNull();
        assertThat(List.of(a.lost().id(), b.lost().id()))
                .containsExactlyInAnyOrder(1, second.locker().id());
        assertThat(List.of(a.lost(), b.lost()))
                .anySatisfy(l -> assertThat(l.name()).hasValue("terminated"))
                .anySatisfy(l -> assertThat(l.fencingToken()).isEqualTo(firstToken))
                .anySatisfy(
                        l -> assertThat(l.fencingToken()).as("never asked for").isZero())
                .allSatisfy(l -> assertThat(l.reason()).contains("57P01"));
        assertThat(first.isValid()).isFalse();
        assertThat(second.isValid()).isFalse();
        assertThatExceptionOfType(IllegalMonitorStateException.class)
                .as("no token is drawn for a hold that is already lost")
                .isThrownBy(second::fencingToken);
        assertThatExceptionOfType(LockLostException.class)
                .isThrownBy(second.locker()::fencingToken)
                .withMessageContaining("was lost before its fencing token was first asked for");
        assertThat(other.retrieveLock(1).tryLock()).as("released by the server").isTrue();
        other.retrieveLock(1).unlock();

        first.close();
        second.close();
        try (LockHandle again = holder.retrieveLock(1).acquire()) {
            assertThat(again.isValid()).isTrue();
            assertThat(again.fencingToken()).isGreaterThan(firstToken);
            assertThat(holderBackendPid(1)).as("a new holder session").isNotEqualTo(pid);
        }
        assertThat(lost).isEmpty();
        assertThat(states).containsSubsequence(SessionState.LOST, SessionState.CONNECTING, SessionState.HEALTHY);
    }

    /**
     * A holder session terminated while idle is noticed only by the next statement (or heartbeat):
     * name lookups, allocation and reads then run on a new session instead of failing with the old
     * session's SQLSTATE 57P01/08006. The default session timeout keeps the heartbeat (every 2 s)
     * from noticing first.
     */
    @Test
    void terminatedIdleHolderSessionShouldNotFailTheNextNameLookupOrAllocation() throws Exception {
        PostgresLockManager holder = PostgresLockManager.open(
                url,
                space,
                8,
                TestServers.options().withLockLostListener(hold -> lost.add(new Event(hold, System.nanoTime()))));
        resources.add(holder);
        int bound;
        long pid;
        try (LockHandle held = holder.namedLock("before").acquire()) {
            bound = held.locker().id();
            pid = holderBackendPid(bound);
        }
        // Waits (up to 5 s) until the server process is gone, so the next statement meets a dead session.
        TestServers.execute(url, "SELECT pg_terminate_backend(" + pid + ", 5000)");

        assertThat(holder.namedLock("before").id()).isEqualTo(bound);
        assertThat(holder.allocateLock().id()).isNotEqualTo(bound);
        try (LockHandle held = holder.lockName("after")) {
            assertThat(holderBackendPid(held.locker().id()))
                    .as("a new holder session")
                    .isNotEqualTo(pid);
        }
        assertThat(lost).as("nothing was held, so nothing was lost").isEmpty();
    }

    static int portOf(String jdbcUrl) {
        java.util.regex.Matcher m =
                java.util.regex.Pattern.compile("//[^/:]+:(\\d+)/").matcher(jdbcUrl);
        return m.find() ? Integer.parseInt(m.group(1)) : 5432;
    }
}
