package dev.interlock.benchmarks;

import dev.interlock.Locker;
import dev.interlock.postgresql.PostgresLockManager;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One thread taking and releasing a PostgreSQL lock nobody else wants, over loopback: Interlock's
 * {@link PostgresLockManager} {@code lock()}+{@code unlock()} against the floor, a bare {@code
 * pg_advisory_lock}+{@code pg_advisory_unlock} pair of prepared statements on one JDBC connection
 * (two round trips). The server is the one {@link PostgresServer#find()} finds.
 *
 * <p>Sample-time mode: JMH times single pairs and reports percentiles next to the mean. On a shared
 * machine the mean of a 1 s iteration moves by 10× or more when another process takes the cores
 * for a moment, and such stalls hit one subject or the other at random; the median pair is what a
 * pair costs, and the report compares medians (means alongside).
 *
 * <p>Run alone: {@code java -jar benchmarks/target/benchmarks.jar PostgresLockBenchmark}.
 *
 * @author Interlock team
 * @since 0.1.0
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(2)
@Warmup(iterations = 3, time = 1, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 5, time = 1, timeUnit = TimeUnit.SECONDS)
@Threads(1)
public class PostgresLockBenchmark {

    /** A lock of a fresh lock space of Interlock's PostgreSQL backend. */
    @State(Scope.Thread)
    public static class InterlockState {

        PostgresServer server;

        String space;

        PostgresLockManager manager;

        Locker locker;

        /** Finds the server, creates the lock space and allocates the lock. */
        @Setup
        public void setUp() {
            server = PostgresServer.find();
            space = "bench-" + UUID.randomUUID().toString().substring(0, 8);
            manager = PostgresLockManager.create(server.url(), space, 8);
            locker = manager.allocateLock();
        }

        /** Closes the manager, drops the lock space, stops an embedded server. */
        @TearDown
        public void tearDown() {
            try {
                manager.close();
                PostgresLockManager.drop(server.url(), space);
            } finally {
                server.close();
            }
        }
    }

    /** One JDBC connection with the two advisory-lock statements prepared, on a key of its own. */
    @State(Scope.Thread)
    public static class AdvisoryState {

        PostgresServer server;

        Connection connection;

        PreparedStatement lock;

        PreparedStatement unlock;

        /**
         * Finds the server, connects and prepares the statements on a random key.
         *
         * @throws SQLException if the server refuses
         */
        @Setup
        public void setUp() throws SQLException {
            server = PostgresServer.find();
            connection = DriverManager.getConnection(server.url());
            lock = connection.prepareStatement("SELECT pg_advisory_lock(?, ?)");
            unlock = connection.prepareStatement("SELECT pg_advisory_unlock(?, ?)");
            int key = ThreadLocalRandom.current().nextInt();
            for (PreparedStatement statement : new PreparedStatement[] {lock, unlock}) {
                statement.setInt(1, key);
                statement.setInt(2, 0);
            }
        }

        /**
         * Closes the connection and stops an embedded server.
         *
         * @throws SQLException if closing fails
         */
        @TearDown
        public void tearDown() throws SQLException {
            try {
                connection.close();
            } finally {
                server.close();
            }
        }
    }

    /**
     * Interlock's {@code lock()}+{@code unlock()} pair.
     *
     * @param state the lock
     */
    @Benchmark
    public void interlock(InterlockState state) {
        state.locker.lock();
        state.locker.unlock();
    }

    /**
     * Baseline: {@code SELECT pg_advisory_lock(k1, k2)} then {@code SELECT pg_advisory_unlock(k1,
     * k2)} on one connection, autocommitted, reading each result.
     *
     * @param state the connection and statements
     * @return whether the unlock found the lock held (always {@code true})
     * @throws SQLException if the server fails
     */
    @Benchmark
    public boolean advisoryPair(AdvisoryState state) throws SQLException {
        try (ResultSet locked = state.lock.executeQuery()) {
            locked.next();
        }
        try (ResultSet unlocked = state.unlock.executeQuery()) {
            unlocked.next();
            return unlocked.getBoolean(1);
        }
    }
}
