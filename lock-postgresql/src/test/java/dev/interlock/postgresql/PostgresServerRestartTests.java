package dev.interlock.postgresql;

import static org.assertj.core.api.Assertions.assertThat;

import dev.interlock.LockHandle;
import dev.interlock.LostLock;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
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
import org.junit.jupiter.api.io.TempDir;

/**
 * Tests for {@link PostgresLockManager} across a restart and a crash of the server, on an embedded
 * server of their own (restarting the machine's server would disturb everyone else).
 *
 * @author Interlock team
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PostgresServerRestartTests {

    private static final String SPACE = "restart";

    @TempDir
    Path data;

    private EmbeddedPostgres server;

    private int port;

    private final List<AutoCloseable> managers = new ArrayList<>();

    private final BlockingQueue<LostLock> lost = new LinkedBlockingQueue<>();

    private final List<SessionState> states = new CopyOnWriteArrayList<>();

    @BeforeEach
    void startServer() throws Exception {
        server = TestServers.start(data, 0, "synchronous_commit", "off");
        port = server.getPort();
    }

    @AfterEach
    void stopServer() throws Exception {
        for (AutoCloseable manager : managers) {
            manager.close();
        }
        server.close();
    }

    private String url() {
        return server.getJdbcUrl("postgres", "postgres");
    }

    private PostgresLockManager manager() {
        PostgresLockManager manager = PostgresLockManager.openOrCreate(
                url(),
                SPACE,
                8,
                TestServers.options()
                        .withSessionTimeout(Duration.ofSeconds(2))
                        .withLockLostListener(lost::add)
                        .withSessionStateListener((previous, current, detail) -> states.add(current)));
        managers.add(manager);
        return manager;
    }

    private void restart() throws Exception {
        server = TestServers.start(data, port, "synchronous_commit", "off");
    }

    @Test
    void restartShouldTellEveryHolderOnceAndLocksShouldBeUsableAfterwards() throws Exception {
        PostgresLockManager first = manager();
        PostgresLockManager second = manager();
        LockHandle one = first.retrieveLock(1).acquire();
        LockHandle two = second.retrieveLock(2).acquire();
        LockHandle three = second.namedLock("three").acquire();
        long highest = Math.max(one.fencingToken(), Math.max(two.fencingToken(), three.fencingToken()));

        server.close();
        List<Integer> ids = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            LostLock hold = lost.poll(20, TimeUnit.SECONDS);
            assertThat(hold).as("lost hold %d of 3", i + 1).isNotNull();
            ids.add(hold.id());
        }
        assertThat(ids).containsExactlyInAnyOrder(1, 2, three.locker().id());
        assertThat(List.of(one.isValid(), two.isValid(), three.isValid())).containsOnly(false);
        assertThat(first.sessionState()).isIn(SessionState.LOST, SessionState.CONNECTING);

        restart();
        one.close();
        two.close();
        three.close();
        try (LockHandle again = first.retrieveLock(1).acquire();
                LockHandle other = second.retrieveLock(2).acquire()) {
            assertThat(again.isValid()).isTrue();
            assertThat(again.fencingToken()).isGreaterThan(highest);
            assertThat(other.fencingToken()).isGreaterThan(highest);
        }
        assertThat(lost).as("each hold told once").isEmpty();
        assertThat(states).contains(SessionState.LOST).endsWith(SessionState.HEALTHY);
    }

    /**
     * The server runs with {@code synchronous_commit=off}, as the embedded one does by default and
     * some production servers do: without Interlock turning it on for its sessions, the WAL record
     * that covers the last tokens can still be in the server's memory when it crashes, and the
     * sequence then hands out the same tokens again after recovery.
     */
    @Test
    void tokensShouldStayStrictlyIncreasingAcrossAnImmediateShutdown() throws Exception {
        assertThat(serverSetting("synchronous_commit")).isEqualTo("off");
        PostgresLockManager manager = manager();
        long highest = 0;
        for (int i = 0; i < 100; i++) {
            try (LockHandle held = manager.retrieveLock(i % 8).acquire()) {
                highest = Math.max(highest, held.fencingToken());
            }
        }
        // SIGQUIT to the postmaster is pg_ctl stop -m immediate: no checkpoint, no WAL flush.
        long postmaster = Long.parseLong(
                Files.readAllLines(data.resolve("postmaster.pid")).get(0).trim());
        Process kill = new ProcessBuilder("kill", "-QUIT", Long.toString(postmaster)).start();
        assertThat(kill.waitFor(10, TimeUnit.SECONDS)).isTrue();
        ProcessHandle.of(postmaster).ifPresent(p -> p.onExit().join());
        server.close();
        restart();
        try (PostgresLockManager after = PostgresLockManager.open(url(), SPACE, 8, TestServers.options());
                LockHandle held = after.retrieveLock(0).acquire()) {
            assertThat(held.fencingToken()).isGreaterThan(highest);
        }
    }

    private String serverSetting(String name) throws Exception {
        try (Connection connection = DriverManager.getConnection(url());
                Statement st = connection.createStatement();
                ResultSet rs = st.executeQuery("SELECT setting FROM pg_settings WHERE name = '" + name + "'")) {
            rs.next();
            return rs.getString(1);
        }
    }
}
