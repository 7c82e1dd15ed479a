package dev.interlock.postgresql;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Comparator;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

/**
 * Where the tests get a PostgreSQL server. The "local" server is {@code INTERLOCK_TEST_POSTGRES_URL}
 * if set, else the one at 127.0.0.1:5432 (database {@code test}, user {@code postgres}) if it
 * answers, else the embedded one. The embedded server is started once per test JVM from Maven
 * Central artifacts (zonky), with the server configuration zonky uses, which includes {@code
 * synchronous_commit=off}: Interlock's sessions must turn it back on for their tokens.
 *
 * @author Interlock team
 */
final class TestServers {

    private static final String LOCAL_URL = "jdbc:postgresql://127.0.0.1:5432/test?user=postgres";

    private static EmbeddedPostgres embedded;

    private static String localUrl;

    private static Path embeddedData;

    private TestServers() {}

    /** The machine's server, or the embedded one when there is none. */
    static synchronized String local() {
        if (localUrl == null) {
            String fromEnv = System.getenv("INTERLOCK_TEST_POSTGRES_URL");
            if (fromEnv != null && !fromEnv.isBlank()) {
                localUrl = fromEnv;
            } else if (answers("127.0.0.1", 5432)) {
                localUrl = LOCAL_URL;
            } else {
                localUrl = embedded();
            }
        }
        return localUrl;
    }

    /**
     * The embedded server, started on first use; when the JVM exits it is stopped and its data
     * directory (about 40 MB) removed.
     */
    static synchronized String embedded() {
        if (embedded == null) {
            try {
                Path data = Files.createTempDirectory("interlock-embedded-pg");
                EmbeddedPostgres server = start(data, 0);
                Runtime.getRuntime()
                        .addShutdownHook(
                                new Thread(() -> stopAndDelete(server, data), "interlock-embedded-pg-cleanup"));
                embeddedData = data;
                embedded = server;
            } catch (IOException ex) {
                throw new UncheckedIOException("Cannot start the embedded PostgreSQL server", ex);
            }
        }
        return embedded.getJdbcUrl("postgres", "postgres");
    }

    private static void stopAndDelete(EmbeddedPostgres server, Path data) {
        Optional<ProcessHandle> postmaster = postmaster(data);
        try {
            server.close();
            // The postmaster writes its statistics into the data directory while it exits, after the
            // stop request returned: removing the directory before it is gone leaves pg_stat behind.
            if (postmaster.isPresent()) {
                postmaster.get().onExit().get(10, TimeUnit.SECONDS);
            }
        } catch (IOException | RuntimeException | ExecutionException | TimeoutException ex) {
            System.err.println("Cannot stop the embedded PostgreSQL server over " + data + ": " + ex);
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
        try (Stream<Path> paths = Files.walk(data)) {
            paths.sorted(Comparator.reverseOrder())
                    .forEach(path -> path.toFile().delete());
        } catch (IOException | UncheckedIOException ex) {
            System.err.println("Cannot remove the embedded PostgreSQL data directory " + data + ": " + ex);
        }
    }

    /** The server process running over {@code data}, named by the first line of its {@code postmaster.pid}. */
    private static Optional<ProcessHandle> postmaster(Path data) {
        try (Stream<String> lines = Files.lines(data.resolve("postmaster.pid"))) {
            return lines.findFirst().map(String::trim).map(Long::parseLong).flatMap(ProcessHandle::of);
        } catch (IOException | RuntimeException ex) {
            return Optional.empty();
        }
    }

    /** The data directory of the embedded server, started if need be. */
    static synchronized Path embeddedDataDirectory() {
        embedded();
        return embeddedData;
    }

    /** Starts a separate embedded server over {@code data} (kept across restarts) on {@code port} (0: any). */
    static EmbeddedPostgres start(Path data, int port, String... settings) throws IOException {
        EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
                .setDataDirectory(data)
                .setCleanDataDirectory(false)
                .setServerConfig("max_connections", "100");
        for (int i = 0; i + 1 < settings.length; i += 2) {
            builder.setServerConfig(settings[i], settings[i + 1]);
        }
        if (port != 0) {
            builder.setPort(port);
        }
        return builder.start();
    }

    private static boolean answers(String host, int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(host, port), 1000);
            return true;
        } catch (IOException ex) {
            return false;
        }
    }

    /**
     * The options every test manager uses: the defaults with a connect timeout long enough for a
     * CI machine under heavy load (logins took over 5 s at a load average of 29 on 2 vCPUs).
     */
    static PostgresLockManager.Options options() {
        return PostgresLockManager.Options.defaults().withConnectTimeout(java.time.Duration.ofSeconds(60));
    }

    /** A lock space name no other test (or engineer) uses. */
    static String uniqueSpace(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    /** A schema name no other test uses. */
    static String uniqueSchema(String prefix) {
        return prefix + "_" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
    }

    /**
     * Waits (bounded) until some session waits on the server for lock {@code id} of {@code space}:
     * a thread blocked in a server-side wait cannot say so itself, but {@code pg_locks} shows it.
     */
    static void awaitServerSideWaiter(String url, String space, int id, java.time.Duration timeout)
            throws SQLException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        try (Connection connection = DriverManager.getConnection(url);
                java.sql.PreparedStatement ps = connection.prepareStatement("SELECT count(*) FROM pg_locks l"
                        + " JOIN interlock.lock_space s ON l.classid = s.space_key::bigint::oid"
                        + " WHERE s.name = ? AND l.locktype = 'advisory' AND l.objsubid = 2 AND l.objid = ?"
                        + " AND NOT l.granted")) {
            ps.setString(1, space);
            ps.setLong(2, id);
            while (true) {
                try (java.sql.ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    if (rs.getInt(1) > 0) {
                        return;
                    }
                }
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("No session waited on the server for lock " + id + " of " + space
                            + " within " + timeout.toMillis() + " ms");
                }
                Thread.sleep(5);
            }
        }
    }

    /** Runs SQL statements as the test user. */
    static void execute(String url, String... statements) {
        try (Connection connection = DriverManager.getConnection(url);
                Statement st = connection.createStatement()) {
            for (String sql : statements) {
                st.execute(sql);
            }
        } catch (SQLException ex) {
            throw new IllegalStateException("Test setup SQL failed on " + url + ": " + ex.getMessage(), ex);
        }
    }
}
