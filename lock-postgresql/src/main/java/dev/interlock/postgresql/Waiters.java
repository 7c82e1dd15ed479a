package dev.interlock.postgresql;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A bounded set of waiter sessions. A waiter session sleeps on the server until a lock is free
 * (no client-side polling) and holds nothing afterwards; the holder session then takes the lock.
 * The statement runs on a thread of this class so that the calling thread can be interrupted: an
 * interrupt, a timeout or {@link #close()} cancels the server-side wait.
 *
 * @author Interlock team
 */
final class Waiters {

    /** Extra time given to the server to report its own {@code lock_timeout} before we cancel. */
    private static final long GRACE_NANOS = TimeUnit.SECONDS.toNanos(2);

    private static final long FOREVER = Long.MAX_VALUE;

    private final Connections connections;

    private final Semaphore permits;

    private final ConcurrentLinkedDeque<Connection> idle = new ConcurrentLinkedDeque<>();

    private final Set<Connection> busy = ConcurrentHashMap.newKeySet();

    private final ExecutorService threads;

    private volatile boolean closed;

    Waiters(Connections connections, int maxSessions, String label) {
        this.connections = connections;
        this.permits = new Semaphore(maxSessions);
        AtomicInteger serial = new AtomicInteger();
        this.threads = Executors.newCachedThreadPool(task -> {
            Thread thread = new Thread(task, "interlock-pg-waiter-" + label + "-" + serial.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
    }

    /**
     * Waits on the server until nobody holds lock {@code (spaceKey, id)} exclusively.
     *
     * @param timeoutNanos how long at most; {@link Long#MAX_VALUE} for no limit
     * @return {@code true} when the lock was free at some moment, {@code false} on timeout
     * @throws InterruptedException if interrupted; the server-side wait was cancelled
     * @throws SQLException if the waiter session failed; it was discarded
     * @throws PostgresConnectionException if no waiter session could be opened
     */
    boolean awaitRelease(int spaceKey, int id, long timeoutNanos) throws InterruptedException, SQLException {
        long start = System.nanoTime();
        boolean forever = timeoutNanos == FOREVER;
        if (forever) {
            permits.acquire();
        } else if (!permits.tryAcquire(timeoutNanos, TimeUnit.NANOSECONDS)) {
            return false;
        }
        try {
            long remaining = forever ? FOREVER : timeoutNanos - (System.nanoTime() - start);
            if (remaining <= 0) {
                return false;
            }
            Connection connection = idle.pollFirst();
            if (connection == null) {
                connection = connections.open(false);
            }
            busy.add(connection);
            boolean healthy = false;
            try (PreparedStatement wait = connection.prepareStatement(Sql.AWAIT_RELEASE)) {
                long millis = forever ? 0 : Math.max(1, TimeUnit.NANOSECONDS.toMillis(remaining));
                wait.setString(1, millis + "ms");
                wait.setInt(2, spaceKey);
                wait.setInt(3, id);
                wait.setInt(4, spaceKey);
                wait.setInt(5, id);
                if (closed) {
                    throw new SQLException("the manager was closed", "08003");
                }
                Connection session = connection;
                Future<Boolean> result = threads.submit(() -> {
                    try {
                        wait.executeQuery().close();
                        return true;
                    } catch (SQLException ex) {
                        if ("55P03".equals(ex.getSQLState())) {
                            releaseShared(session);
                            return false; // lock_timeout: the server ended the wait
                        }
                        throw ex;
                    }
                });
                try {
                    boolean free = forever ? result.get() : result.get(remaining + GRACE_NANOS, TimeUnit.NANOSECONDS);
                    healthy = true;
                    return free;
                } catch (InterruptedException ex) {
                    healthy = cancel(wait, result);
                    throw ex;
                } catch (TimeoutException ex) {
                    healthy = cancel(wait, result);
                    return false;
                } catch (ExecutionException ex) {
                    Throwable cause = ex.getCause();
                    if (cause instanceof SQLException sql) {
                        throw sql;
                    }
                    throw new SQLException("The waiter session failed: " + cause, "08006", cause);
                }
            } finally {
                busy.remove(connection);
                if (healthy && !closed) {
                    idle.addFirst(connection);
                } else {
                    abort(connection);
                }
            }
        } finally {
            permits.release();
        }
    }

    /**
     * Drops the shared lock that a wait statement ended by an error may still hold. The server can
     * grant {@code pg_advisory_lock_shared} and then end the statement with the lock timeout or a
     * cancel that arrived at the same moment, before {@code pg_advisory_unlock_shared} ran; a
     * session-level lock survives the error, and a waiter session reused with it would keep every
     * holder session from taking the lock, for good. A waiter session holds nothing otherwise.
     */
    private static void releaseShared(Connection session) throws SQLException {
        try (java.sql.Statement st = session.createStatement()) {
            st.execute(Sql.RELEASE_ALL);
        }
    }

    /** Cancels the server-side wait and waits for the statement to end; returns whether the session is reusable. */
    private static boolean cancel(PreparedStatement wait, Future<Boolean> result) {
        try {
            wait.cancel();
        } catch (SQLException ex) {
            return false;
        }
        try {
            result.get(10, TimeUnit.SECONDS);
            // The cancel may arrive after the statement ended, and would then hit the session's next one.
            return false;
        } catch (ExecutionException ex) {
            if (!(ex.getCause() instanceof SQLException sql && "57014".equals(sql.getSQLState()))) {
                return false;
            }
            try {
                releaseShared(wait.getConnection());
                return true;
            } catch (SQLException failed) {
                return false;
            }
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            return false;
        } catch (TimeoutException ex) {
            return false;
        }
    }

    /** Cuts every waiter session: waiting threads see a failure and try again on new sessions. */
    void abortAll() {
        for (Connection connection : busy) {
            abort(connection);
        }
        Connection connection;
        while ((connection = idle.pollFirst()) != null) {
            abort(connection);
        }
    }

    /** Cuts every session and refuses further waits. */
    void close() {
        closed = true;
        abortAll();
        threads.shutdownNow();
    }

    private static void abort(Connection connection) {
        try {
            connection.abort(Runnable::run);
        } catch (SQLException | RuntimeException ex) {
            try {
                connection.close();
            } catch (SQLException ignored) {
                // Already gone.
            }
        }
    }
}
