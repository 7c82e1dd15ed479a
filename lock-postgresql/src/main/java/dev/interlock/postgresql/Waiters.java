package dev.interlock.postgresql;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * A bounded set of waiter sessions. A waiter session sleeps on the server until a lock is free
 * (no client-side polling); the holder session then takes the lock. Waiters of one lock queue on
 * the server on the lock's queue key {@link #queueKey}, across every process, so that a release
 * wakes one waiting process rather than all of them. The statement runs on a thread of this class
 * so that the calling thread can be interrupted: an interrupt, a timeout or {@link #close()}
 * cancels the server-side wait.
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
     * The second half of the advisory key of lock {@code id}'s queue, {@code (space_key, -2 - id)}:
     * negative, so never a lock ID, and never -1, the allocation key. Lock IDs are below {@code
     * numLocks}, at most {@link Integer#MAX_VALUE}, so {@code -2 - id} does not overflow.
     */
    static int queueKey(int id) {
        return -2 - id;
    }

    /**
     * Takes a waiter-session permit for one waiting thread of lock {@code (spaceKey, id)}.
     *
     * @param timeoutNanos how long at most; {@link Long#MAX_VALUE} for no limit
     * @return the thread's place, which it must {@linkplain Place#close() close}; {@code null} on timeout
     * @throws InterruptedException if interrupted
     */
    @Nullable
    Place enter(int spaceKey, int id, long timeoutNanos) throws InterruptedException {
        if (timeoutNanos == FOREVER) {
            permits.acquire();
        } else if (!permits.tryAcquire(timeoutNanos, TimeUnit.NANOSECONDS)) {
            return null;
        }
        return new Place(spaceKey, id);
    }

    /**
     * One waiting thread's place in the queue of one lock: a permit, a waiter session once it
     * waited, and whether that session holds the queue key, that is whether this thread is the
     * one waiter of the lock, across every process, that a release wakes. The queue key is kept
     * until {@link #close()}, so that the next waiter cannot overtake while the holder session
     * tries the lock, nor while the manager's run that began with this acquisition lasts (the
     * manager closes the place when the run ends); a wait ended by a timeout, a cancel or a
     * failure gives it up.
     */
    final class Place implements AutoCloseable {

        private final int spaceKey;

        private final int id;

        private @Nullable Connection connection;

        private boolean queued;

        private Place(int spaceKey, int id) {
            this.spaceKey = spaceKey;
            this.id = id;
        }

        /**
         * Returns whether this place's waiter session holds the lock's queue key: this thread is
         * at the head of the queue, or its manager keeps the key through a handed-off run.
         *
         * @return whether the queue key is held
         */
        boolean isQueued() {
            return queued;
        }

        /**
         * Waits on the server, first for the head of the lock's queue unless this place is
         * there already, then until nobody holds the lock exclusively.
         *
         * @param timeoutNanos how long at most; {@link Long#MAX_VALUE} for no limit
         * @return {@code true} when the lock was free at some moment, {@code false} on timeout
         * @throws InterruptedException if interrupted; the server-side wait was cancelled
         * @throws SQLException if the waiter session failed; it was discarded
         * @throws PostgresConnectionException if no waiter session could be opened
         */
        boolean await(long timeoutNanos) throws InterruptedException, SQLException {
            boolean forever = timeoutNanos == FOREVER;
            if (connection == null) {
                Connection reused = idle.pollFirst();
                connection = reused != null ? reused : connections.open(false);
                busy.add(connection);
            }
            Connection session = connection;
            boolean healthy = false;
            try (PreparedStatement wait = session.prepareStatement(queued ? Sql.AWAIT_RELEASE : Sql.AWAIT_TURN)) {
                long millis = forever ? 0 : Math.max(1, TimeUnit.NANOSECONDS.toMillis(timeoutNanos));
                int p = 1;
                wait.setString(p++, millis + "ms");
                if (!queued) {
                    wait.setInt(p++, spaceKey);
                    wait.setInt(p++, queueKey(id));
                    wait.setLong(p++, millis);
                    wait.setLong(p++, millis);
                    wait.setString(p++, connections.sessionTimeoutMillis() + "ms");
                }
                wait.setInt(p++, spaceKey);
                wait.setInt(p++, id);
                wait.setInt(p++, spaceKey);
                wait.setInt(p, id);
                if (closed) {
                    throw new SQLException("the manager was closed", "08003");
                }
                queued = false; // until the statement succeeds; every failure below drops the queue key
                Future<Boolean> result = threads.submit(() -> {
                    try {
                        wait.executeQuery().close();
                        return true;
                    } catch (SQLException ex) {
                        if ("55P03".equals(ex.getSQLState())) {
                            releaseAll(session);
                            return false; // lock_timeout: the server ended the wait
                        }
                        throw ex;
                    }
                });
                try {
                    boolean free =
                            forever ? result.get() : result.get(timeoutNanos + GRACE_NANOS, TimeUnit.NANOSECONDS);
                    healthy = true;
                    queued = free;
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
                if (!healthy || closed) {
                    busy.remove(session);
                    abort(session);
                    connection = null;
                    queued = false;
                }
            }
        }

        /**
         * Leaves the queue: gives the queue key up (in the background, so that the lock's new
         * holder does not wait for it), returns the waiter session and the permit.
         */
        @Override
        public void close() {
            Connection session = connection;
            if (session == null) {
                permits.release();
            } else if (!queued) {
                park(session);
            } else {
                try {
                    threads.execute(() -> {
                        try (PreparedStatement leave = session.prepareStatement(Sql.LEAVE_QUEUE)) {
                            leave.setInt(1, spaceKey);
                            leave.setInt(2, queueKey(id));
                            leave.executeQuery().close();
                            park(session);
                        } catch (SQLException | RuntimeException ex) {
                            // A session that dies releases the queue key with it.
                            busy.remove(session);
                            abort(session);
                            permits.release();
                        }
                    });
                } catch (RejectedExecutionException ex) {
                    busy.remove(session);
                    abort(session);
                    permits.release();
                }
            }
        }

        private void park(Connection session) {
            busy.remove(session);
            if (closed) {
                abort(session);
            } else {
                idle.addFirst(session);
            }
            permits.release();
        }
    }

    /**
     * Drops every advisory lock of a waiter session after a wait statement ended by an error: the
     * queue key, and a shared lock the statement may still hold. The server can grant {@code
     * pg_advisory_lock_shared} and then end the statement with the lock timeout or a cancel that
     * arrived at the same moment, before {@code pg_advisory_unlock_shared} ran; a session-level
     * lock survives the error, and a waiter session reused with it would keep every holder session
     * from taking the lock, for good. A waiter session between waits holds nothing otherwise.
     */
    private static void releaseAll(Connection session) throws SQLException {
        try (Statement st = session.createStatement()) {
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
                releaseAll(wait.getConnection());
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
