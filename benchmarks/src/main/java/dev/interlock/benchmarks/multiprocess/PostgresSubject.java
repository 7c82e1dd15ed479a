package dev.interlock.benchmarks.multiprocess;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.interlock.postgresql.PostgresLockManager;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Arrays;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.locks.Lock;
import net.javacrumbs.shedlock.core.ClockProvider;
import net.javacrumbs.shedlock.core.LockConfiguration;
import net.javacrumbs.shedlock.core.SimpleLock;
import net.javacrumbs.shedlock.provider.jdbctemplate.JdbcTemplateLockProvider;
import org.jspecify.annotations.Nullable;
import org.springframework.integration.jdbc.lock.DefaultLockRepository;
import org.springframework.integration.jdbc.lock.JdbcLockRegistry;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;

/**
 * The locks on one PostgreSQL server that the multi-process benchmark compares: Interlock's
 * PostgreSQL backend and two peers its users would pick instead, each used as its users use it.
 * The parent {@link #create creates} what a run needs on the server (a lock space, or a region or
 * name prefix in the peer's table, the table itself created if missing), each child {@link #open
 * opens} a {@link LockSession} over it, and the parent {@link #remove removes} it afterwards.
 *
 * <p>A location, as passed from the parent to the children, is {@code name=jdbcUrl}: the run's
 * lock space, region or name prefix, then the server.
 *
 * @author Interlock team
 * @since 0.1.0
 */
public enum PostgresSubject {

    /** Interlock's {@link PostgresLockManager}: session-level advisory locks, waiters sleep on the server. */
    POSTGRESQL {
        @Override
        void prepare(String url, String name, int numLocks) {
            PostgresLockManager.create(url, name, numLocks).close();
        }

        @Override
        LockSession openSession(String url, String name, int numLocks) {
            return LockSession.of(PostgresLockManager.open(url, name, numLocks));
        }

        @Override
        void clean(String url, String name) {
            PostgresLockManager.drop(url, name);
        }
    },

    /**
     * Spring Integration's {@link JdbcLockRegistry} over its {@link DefaultLockRepository} and
     * {@code INT_LOCK} table (created from the DDL inside its jar), with its defaults: a 10 s
     * time to live and a waiter that retries every 100 ms. A run uses a region of its own.
     */
    JDBC_LOCK_REGISTRY {
        @Override
        void prepare(String url, String name, int numLocks) {
            execute(url, intLockDdl());
        }

        @Override
        LockSession openSession(String url, String name, int numLocks) {
            HikariDataSource dataSource = dataSource(url, name());
            try {
                DefaultLockRepository repository = new DefaultLockRepository(dataSource);
                repository.setRegion(name);
                repository.setTransactionManager(new DataSourceTransactionManager(dataSource));
                repository.afterPropertiesSet();
                repository.afterSingletonsInstantiated();
                JdbcLockRegistry registry = new JdbcLockRegistry(repository);
                return new PeerSession(dataSource, repository::close) {
                    @Override
                    public ContendedLock lock(int id) {
                        return new RegistryLock(registry.obtain("lock-" + id));
                    }
                };
            } catch (RuntimeException ex) {
                dataSource.close();
                throw ex;
            }
        }

        @Override
        void clean(String url, String name) {
            execute(url, "DELETE FROM INT_LOCK WHERE REGION = ?", name);
        }
    },

    /**
     * ShedLock's {@link JdbcTemplateLockProvider} on its {@code shedlock} table, with the database's
     * clock ({@code usingDbTime()}, as its documentation recommends), used as a blocking lock the
     * way its users do: try {@link JdbcTemplateLockProvider#lock}, and when another holds the lock,
     * sleep {@link #SHEDLOCK_BACKOFF} (Spring Integration's retry interval) and try again. Each
     * hold may last 10 s at most. A run uses lock names with a prefix of its own.
     */
    SHEDLOCK {
        @Override
        void prepare(String url, String name, int numLocks) {
            execute(
                    url,
                    "CREATE TABLE IF NOT EXISTS shedlock (name VARCHAR(64) NOT NULL, lock_until TIMESTAMP NOT NULL,"
                            + " locked_at TIMESTAMP NOT NULL, locked_by VARCHAR(255) NOT NULL, PRIMARY KEY (name))");
        }

        @Override
        LockSession openSession(String url, String name, int numLocks) {
            HikariDataSource dataSource = dataSource(url, name());
            JdbcTemplateLockProvider provider =
                    new JdbcTemplateLockProvider(JdbcTemplateLockProvider.Configuration.builder()
                            .withJdbcTemplate(new JdbcTemplate(dataSource))
                            .usingDbTime()
                            .build());
            return new PeerSession(dataSource, () -> {}) {
                @Override
                public ContendedLock lock(int id) {
                    return new ShedLockLock(provider, name + "-" + id);
                }
            };
        }

        @Override
        void clean(String url, String name) {
            execute(url, "DELETE FROM shedlock WHERE name LIKE ?", name + "-%");
        }
    };

    /** How long a ShedLock waiter sleeps between tries: Spring Integration's default for its registry. */
    static final Duration SHEDLOCK_BACKOFF = Duration.ofMillis(100);

    /** The longest a peer's hold lasts before another may take the lock: both peers' usual 10 s. */
    static final Duration PEER_HOLD_LIMIT = Duration.ofSeconds(10);

    /**
     * Returns the subject of this name, if it is one.
     *
     * @param name a subject name, as {@link #name()} gives it
     * @return the subject, or empty if {@code name} names something else (a {@code Backend})
     */
    public static Optional<PostgresSubject> find(String name) {
        return Arrays.stream(values()).filter(s -> s.name().equals(name)).findFirst();
    }

    /**
     * Creates on the server what one run needs, in a lock space, region or name prefix no other run
     * uses.
     *
     * @param url the server's JDBC URL
     * @param numLocks the lock count (Interlock's lock space; the peers have no fixed count)
     * @return the location to hand to {@link #open} and {@link #remove}
     * @throws IllegalStateException if the server refuses
     */
    public String create(String url, int numLocks) {
        String name = "bench-" + UUID.randomUUID().toString().substring(0, 8);
        prepare(url, name, numLocks);
        return name + "=" + url;
    }

    /**
     * Opens, in one process, a session over what {@link #create} made.
     *
     * @param location as {@link #create} returned it
     * @param numLocks the lock count given to {@link #create}
     * @return the session, to be closed by the caller
     */
    public LockSession open(String location, int numLocks) {
        return openSession(urlOf(location), nameOf(location), numLocks);
    }

    /**
     * Removes from the server what {@link #create} made (the peers' tables stay, empty of this run's
     * rows).
     *
     * @param location as {@link #create} returned it
     */
    public void remove(String location) {
        clean(urlOf(location), nameOf(location));
    }

    abstract void prepare(String url, String name, int numLocks);

    abstract LockSession openSession(String url, String name, int numLocks);

    abstract void clean(String url, String name);

    private static String nameOf(String location) {
        return location.substring(0, separator(location));
    }

    private static String urlOf(String location) {
        return location.substring(separator(location) + 1);
    }

    private static int separator(String location) {
        int at = location.indexOf('=');
        if (at <= 0) {
            throw new IllegalArgumentException(
                    "Location '" + location + "' is not name=jdbcUrl as PostgresSubject.create returns it");
        }
        return at;
    }

    /** A connection pool as a Spring Boot application has it: HikariCP with its defaults. */
    private static HikariDataSource dataSource(String url, String subject) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(url);
        config.setPoolName("bench-" + subject);
        return new HikariDataSource(config);
    }

    /** Spring Integration's {@code CREATE TABLE INT_LOCK} from the PostgreSQL script in its jar, made idempotent. */
    static String intLockDdl() {
        String resource = "/org/springframework/integration/jdbc/schema-postgresql.sql";
        String script;
        try (InputStream in = JdbcLockRegistry.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException(
                        resource + " is missing from spring-integration-jdbc on the class path");
            }
            script = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException ex) {
            throw new UncheckedIOException("Cannot read " + resource, ex);
        }
        return Arrays.stream(script.split(";"))
                .map(String::trim)
                .filter(statement -> statement.startsWith("CREATE TABLE INT_LOCK "))
                .findFirst()
                .map(statement -> statement.replaceFirst("^CREATE TABLE ", "CREATE TABLE IF NOT EXISTS "))
                .orElseThrow(() -> new IllegalStateException(
                        "No CREATE TABLE INT_LOCK statement in " + resource + " of this spring-integration-jdbc"));
    }

    private static void execute(String url, String sql, String... parameters) {
        try (Connection connection = DriverManager.getConnection(url);
                PreparedStatement statement = connection.prepareStatement(sql)) {
            for (int i = 0; i < parameters.length; i++) {
                statement.setString(i + 1, parameters[i]);
            }
            statement.execute();
        } catch (SQLException ex) {
            throw new IllegalStateException(
                    "Benchmark setup failed on the PostgreSQL server: " + sql + ": " + ex.getMessage(), ex);
        }
    }

    /** A peer's client in one process: its pool and what to close before the pool. */
    private abstract static class PeerSession implements LockSession {

        private final HikariDataSource dataSource;

        private final Runnable beforeClose;

        PeerSession(HikariDataSource dataSource, Runnable beforeClose) {
            this.dataSource = dataSource;
            this.beforeClose = beforeClose;
        }

        @Override
        public void close() {
            try {
                beforeClose.run();
            } finally {
                dataSource.close();
            }
        }
    }

    /** A registry lock, locked with {@link Lock#lock()} as its users do. */
    private record RegistryLock(Lock registryLock) implements ContendedLock {

        @Override
        public void lock() {
            registryLock.lock();
        }

        @Override
        public void unlock() {
            registryLock.unlock();
        }
    }

    /** A ShedLock name locked in a retry loop; one instance per thread, which holds it. */
    private static final class ShedLockLock implements ContendedLock {

        private final JdbcTemplateLockProvider provider;

        private final String name;

        private @Nullable SimpleLock held;

        ShedLockLock(JdbcTemplateLockProvider provider, String name) {
            this.provider = provider;
            this.name = name;
        }

        @Override
        public void lock() {
            while (true) {
                Optional<SimpleLock> acquired =
                        provider.lock(new LockConfiguration(ClockProvider.now(), name, PEER_HOLD_LIMIT, Duration.ZERO));
                if (acquired.isPresent()) {
                    held = acquired.get();
                    return;
                }
                try {
                    Thread.sleep(SHEDLOCK_BACKOFF.toMillis());
                } catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("Interrupted while waiting for ShedLock lock " + name, ex);
                }
            }
        }

        @Override
        public void unlock() {
            SimpleLock lock = held;
            if (lock == null) {
                throw new IllegalStateException(
                        "ShedLock lock " + name + " unlocked by a thread that does not hold it");
            }
            held = null;
            lock.unlock();
        }

        @Override
        public String toString() {
            return "ShedLock " + name;
        }
    }
}
