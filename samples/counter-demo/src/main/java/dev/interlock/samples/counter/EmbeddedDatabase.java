package dev.interlock.samples.counter;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Gives the demo a PostgreSQL server when it runs with {@code --interlock.backend=postgresql} and
 * no database is configured: an embedded PostgreSQL started from Maven Central artifacts (zonky),
 * so the demo runs on a fresh machine. The job starts it before its own context and passes its URL
 * on to every worker as an argument; it is stopped, and its data directory removed, when the job
 * exits. A worker never starts one.
 *
 * @author Interlock team
 */
final class EmbeddedDatabase {

    private static final String BACKEND = "--interlock.backend=postgresql";

    private EmbeddedDatabase() {}

    /**
     * Returns the arguments to start the application with: {@code args}, plus {@code
     * --interlock.postgresql.url} of a freshly started embedded server when the backend is
     * postgresql, no URL is configured and this process is not a worker.
     *
     * @param args the command line
     * @return the arguments to use
     */
    static String[] withDatabase(String[] args) {
        boolean postgresql = Arrays.asList(args).contains(BACKEND);
        boolean configured = Arrays.stream(args)
                        .anyMatch(arg -> arg.startsWith("--interlock.postgresql.url=")
                                || arg.startsWith("--spring.datasource.url="))
                || System.getenv("INTERLOCK_POSTGRESQL_URL") != null
                || System.getenv("SPRING_DATASOURCE_URL") != null;
        if (!postgresql || configured || DemoRunner.jobPid() != null) {
            return args;
        }
        String url = start();
        String[] withUrl = Arrays.copyOf(args, args.length + 1);
        withUrl[args.length] = "--interlock.postgresql.url=" + url;
        return withUrl;
    }

    private static String start() {
        System.out.println("No interlock.postgresql.url or spring.datasource.url: starting an embedded PostgreSQL...");
        try {
            Path data = Files.createTempDirectory("interlock-counter-demo-pg");
            EmbeddedPostgres server = EmbeddedPostgres.builder()
                    .setDataDirectory(data)
                    .setCleanDataDirectory(false)
                    .start();
            Runtime.getRuntime().addShutdownHook(new Thread(() -> stop(server, data), "embedded-postgresql-stop"));
            String url = server.getJdbcUrl("postgres", "postgres");
            System.out.println("  embedded PostgreSQL at " + url + " (stopped and removed when the demo exits)");
            return url;
        } catch (IOException ex) {
            throw new UncheckedIOException(
                    "Cannot start the embedded PostgreSQL server; pass --interlock.postgresql.url of a server instead",
                    ex);
        }
    }

    private static void stop(EmbeddedPostgres server, Path data) {
        try {
            server.close();
        } catch (IOException ex) {
            System.err.println("Cannot stop the embedded PostgreSQL server over " + data + ": " + ex);
        }
        try (Stream<Path> paths = Files.walk(data)) {
            paths.sorted(Comparator.reverseOrder())
                    .forEach(path -> path.toFile().delete());
        } catch (IOException | UncheckedIOException ex) {
            System.err.println("Cannot remove the embedded PostgreSQL data directory " + data + ": " + ex);
        }
    }
}
