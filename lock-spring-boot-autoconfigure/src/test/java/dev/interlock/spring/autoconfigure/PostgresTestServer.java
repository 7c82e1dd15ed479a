package dev.interlock.spring.autoconfigure;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Comparator;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Where the starter's PostgreSQL tests get a server: {@code INTERLOCK_TEST_POSTGRES_URL} if set,
 * else the server at 127.0.0.1:5432 (database {@code test}, user {@code postgres}, trust
 * authentication, as on the CI machines) if it answers, else an embedded PostgreSQL (zonky),
 * started once per test JVM and removed when it exits. A small twin of lock-postgresql's test
 * helper, which this module cannot use (no test-jar of that module).
 *
 * @author Interlock team
 */
final class PostgresTestServer {

    private static final String LOCAL_URL = "jdbc:postgresql://127.0.0.1:5432/test?user=postgres";

    private static String url;

    private PostgresTestServer() {}

    /**
     * Returns the JDBC URL of the test server, with its user.
     *
     * @return the URL
     */
    static synchronized String url() {
        if (url == null) {
            String fromEnv = System.getenv("INTERLOCK_TEST_POSTGRES_URL");
            if (fromEnv != null && !fromEnv.isBlank()) {
                url = fromEnv;
            } else if (answers("127.0.0.1", 5432)) {
                url = LOCAL_URL;
            } else {
                url = embedded();
            }
        }
        return url;
    }

    /**
     * Returns a lock space name that no other test (or engineer) uses.
     *
     * @param prefix what the test is about
     * @return the name
     */
    static String uniqueSpace(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    /**
     * Runs SQL statements as the test user.
     *
     * @param statements the statements
     */
    static void execute(String... statements) {
        try (Connection connection = DriverManager.getConnection(url());
                Statement st = connection.createStatement()) {
            for (String sql : statements) {
                st.execute(sql);
            }
        } catch (SQLException ex) {
            throw new IllegalStateException("Test SQL failed on " + url() + ": " + ex.getMessage(), ex);
        }
    }

    /**
     * Ends, with {@code pg_terminate_backend}, the server session that holds the locks of {@code
     * space} (schema {@code interlock}), as an administrator or a failover would.
     *
     * @param space the lock space
     * @return how many sessions were ended
     */
    static int terminateHolders(String space) {
        try (Connection connection = DriverManager.getConnection(url());
                PreparedStatement ps = connection.prepareStatement("SELECT count(pg_terminate_backend(l.pid))"
                        + " FROM pg_locks l JOIN interlock.lock_space s ON l.classid = s.space_key::bigint::oid"
                        + " WHERE s.name = ? AND l.locktype = 'advisory' AND l.objsubid = 2 AND l.granted")) {
            ps.setString(1, space);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        } catch (SQLException ex) {
            throw new IllegalStateException("Cannot end the holder sessions of " + space + ": " + ex.getMessage(), ex);
        }
    }

    private static String embedded() {
        try {
            Path data = Files.createTempDirectory("interlock-starter-pg");
            EmbeddedPostgres server = EmbeddedPostgres.builder()
                    .setDataDirectory(data)
                    .setCleanDataDirectory(false)
                    .start();
            Runtime.getRuntime().addShutdownHook(new Thread(() -> stopAndDelete(server, data), "embedded-pg-cleanup"));
            return server.getJdbcUrl("postgres", "postgres");
        } catch (IOException ex) {
            throw new UncheckedIOException("Cannot start the embedded PostgreSQL server", ex);
        }
    }

    private static void stopAndDelete(EmbeddedPostgres server, Path data) {
        try {
            server.close();
        } catch (IOException | RuntimeException ex) {
            System.err.println("Cannot stop the embedded PostgreSQL server over " + data + ": " + ex);
        }
        try (Stream<Path> paths = Files.walk(data)) {
            paths.sorted(Comparator.reverseOrder())
                    .forEach(path -> path.toFile().delete());
        } catch (IOException | UncheckedIOException ex) {
            System.err.println("Cannot remove the embedded PostgreSQL data directory " + data + ": " + ex);
        }
    }

    private static boolean answers(String host, int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(host, port), 1000);
            return true;
        } catch (IOException ex) {
            return false;
        }
    }
}
