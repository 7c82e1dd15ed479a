package dev.interlock.benchmarks;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The PostgreSQL server the PostgreSQL benchmarks run against, in this order:
 * {@code INTERLOCK_BENCH_POSTGRES_URL}, else {@code INTERLOCK_TEST_POSTGRES_URL}, else the server
 * at 127.0.0.1:5432 (database {@code test}, user {@code postgres}) if one answers, else an embedded
 * PostgreSQL started from Maven Central artifacts, so that a machine with no server still runs
 * them. An embedded server lives until {@link #close()} (or the JVM's exit) and leaves nothing
 * behind.
 *
 * @author Interlock team
 * @since 0.1.0
 */
public final class PostgresServer implements AutoCloseable {

    /** The server this project's machines run. */
    static final String LOCAL_URL = "jdbc:postgresql://127.0.0.1:5432/test?user=postgres";

    private static final List<String> URL_VARIABLES =
            List.of("INTERLOCK_BENCH_POSTGRES_URL", "INTERLOCK_TEST_POSTGRES_URL");

    private final String url;

    private final String description;

    private final @Nullable EmbeddedPostgres embedded;

    private final @Nullable Path data;

    private boolean closed;

    private PostgresServer(String url, String description, @Nullable EmbeddedPostgres embedded, @Nullable Path data) {
        this.url = url;
        this.description = description;
        this.embedded = embedded;
        this.data = data;
    }

    /**
     * Finds the server to use, starting an embedded one if no other is configured or running.
     *
     * @return the server
     * @throws UncheckedIOException if the embedded server cannot be started
     */
    public static PostgresServer find() {
        return find(System.getenv());
    }

    static PostgresServer find(Map<String, String> environment) {
        for (String variable : URL_VARIABLES) {
            String url = environment.get(variable);
            if (url != null && !url.isBlank()) {
                return new PostgresServer(url, "the server in " + variable, null, null);
            }
        }
        if (answers("127.0.0.1", 5432)) {
            return new PostgresServer(LOCAL_URL, "the server at 127.0.0.1:5432", null, null);
        }
        return startEmbedded();
    }

    private static PostgresServer startEmbedded() {
        Path data = null;
        try {
            data = Files.createTempDirectory("interlock-bench-pg");
            EmbeddedPostgres server = EmbeddedPostgres.builder()
                    .setDataDirectory(data)
                    .setServerConfig("max_connections", "200")
                    .start();
            PostgresServer found = new PostgresServer(
                    server.getJdbcUrl("postgres", "postgres"),
                    "an embedded server (no INTERLOCK_BENCH_POSTGRES_URL, none at 127.0.0.1:5432)",
                    server,
                    data);
            Runtime.getRuntime().addShutdownHook(new Thread(found::close, "stop embedded PostgreSQL"));
            return found;
        } catch (IOException ex) {
            if (data != null) {
                deleteTree(data);
            }
            throw new UncheckedIOException(
                    "Cannot start an embedded PostgreSQL server; set"
                            + " INTERLOCK_BENCH_POSTGRES_URL to a server of your own instead",
                    ex);
        }
    }

    /**
     * Returns the JDBC URL, credentials included.
     *
     * @return the URL
     */
    public String url() {
        return url;
    }

    /**
     * Returns which server this is, for the report: where its URL came from.
     *
     * @return the description
     */
    public String description() {
        return description;
    }

    /** Stops an embedded server and removes its data directory; does nothing for other servers. */
    @Override
    public synchronized void close() {
        if (embedded == null || data == null || closed) {
            return;
        }
        closed = true;
        try {
            embedded.close();
        } catch (IOException ex) {
            System.err.println("Cannot stop the embedded PostgreSQL server over " + data + ": " + ex);
        }
        // The server usually removes its data directory itself when it stops.
        if (Files.exists(data)) {
            deleteTree(data);
        }
    }

    private static void deleteTree(Path dir) {
        try {
            Backend.deleteTree(dir);
        } catch (IOException | UncheckedIOException ex) {
            System.err.println("Cannot remove the embedded PostgreSQL data directory " + dir + ": " + ex);
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
