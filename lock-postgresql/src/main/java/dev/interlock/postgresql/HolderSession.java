package dev.interlock.postgresql;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;

/**
 * The one server session that holds every lock of a manager, for one generation: once lost it is
 * never used again, and the manager opens a new one. Statements on it run one at a time. Every
 * answered statement renews the client-side lease from the moment it was <em>sent</em>: the server
 * was busy with it at least until then, so the server cannot end the session (idle timeout,
 * keepalive, user timeout) earlier than that moment plus the session timeout.
 *
 * @author Interlock team
 */
final class HolderSession {

    /** Work on the session's connection. */
    @FunctionalInterface
    interface Work<T> {
        T run(Connection connection) throws SQLException;
    }

    final Connection connection;

    final int generation;

    final int backendPid;

    private final ReentrantLock statements = new ReentrantLock();

    private final PreparedStatement tryLock;

    private final PreparedStatement tryLockWithToken;

    private final PreparedStatement tryLockUnlessQueued;

    private final PreparedStatement tryLockWithTokenUnlessQueued;

    private final PreparedStatement drawToken;

    private final PreparedStatement unlock;

    private final PreparedStatement heartbeat;

    /** {@link System#nanoTime()} when the last answered statement was sent. */
    private volatile long lastRenewNanos;

    private volatile boolean lost;

    private volatile String lostReason = "";

    HolderSession(Connection connection, int generation, String schema) throws SQLException {
        long sent = System.nanoTime();
        this.connection = connection;
        this.generation = generation;
        try (PreparedStatement ps = connection.prepareStatement(Sql.BACKEND_PID);
                ResultSet rs = ps.executeQuery()) {
            rs.next();
            this.backendPid = rs.getInt(1);
        }
        this.tryLock = connection.prepareStatement(Sql.TRY_LOCK);
        this.tryLockWithToken = connection.prepareStatement(Sql.forSchema(Sql.TRY_LOCK_WITH_TOKEN, schema));
        this.tryLockUnlessQueued = connection.prepareStatement(Sql.TRY_LOCK_UNLESS_QUEUED);
        this.tryLockWithTokenUnlessQueued =
                connection.prepareStatement(Sql.forSchema(Sql.TRY_LOCK_WITH_TOKEN_UNLESS_QUEUED, schema));
        this.drawToken = connection.prepareStatement(Sql.forSchema(Sql.DRAW_TOKEN, schema));
        this.unlock = connection.prepareStatement(Sql.UNLOCK);
        this.heartbeat = connection.prepareStatement(Sql.HEARTBEAT);
        this.lastRenewNanos = sent;
    }

    /**
     * Runs {@code work} on the connection, alone, and renews the lease if it is answered.
     *
     * @throws SQLException as thrown by the work
     */
    <T> T call(Work<T> work) throws SQLException {
        statements.lock();
        try {
            long sent = System.nanoTime();
            T result = work.run(connection);
            lastRenewNanos = sent;
            return result;
        } finally {
            statements.unlock();
        }
    }

    /**
     * Tries the lock, in one round trip.
     *
     * @return whether it was granted
     */
    boolean tryLock(int spaceKey, int id) throws SQLException {
        return call(c -> {
            tryLock.setInt(1, spaceKey);
            tryLock.setInt(2, id);
            try (ResultSet rs = tryLock.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        });
    }

    /**
     * Tries the lock and draws its token in one round trip.
     *
     * @return the token, or {@code null} if the lock is held elsewhere
     */
    @Nullable
    Long tryLockWithToken(int spaceKey, int id) throws SQLException {
        return call(c -> {
            tryLockWithToken.setInt(1, spaceKey);
            tryLockWithToken.setInt(2, id);
            try (ResultSet rs = tryLockWithToken.executeQuery()) {
                rs.next();
                long token = rs.getLong(1);
                return rs.wasNull() ? null : token;
            }
        });
    }

    /**
     * Tries the lock unless a manager is queued for it ({@link Sql#TRY_LOCK_UNLESS_QUEUED}), in one
     * round trip.
     *
     * @return whether it was granted; {@code false} when it is held elsewhere or somebody is queued
     */
    boolean tryLockUnlessQueued(int spaceKey, int id) throws SQLException {
        return call(c -> {
            bindUnlessQueued(tryLockUnlessQueued, spaceKey, id);
            try (ResultSet rs = tryLockUnlessQueued.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        });
    }

    /**
     * Tries the lock unless a manager is queued for it, and draws its token, in one round trip.
     *
     * @return the token, or {@code null} if the lock is held elsewhere or somebody is queued
     */
    @Nullable
    Long tryLockWithTokenUnlessQueued(int spaceKey, int id) throws SQLException {
        return call(c -> {
            bindUnlessQueued(tryLockWithTokenUnlessQueued, spaceKey, id);
            try (ResultSet rs = tryLockWithTokenUnlessQueued.executeQuery()) {
                rs.next();
                long token = rs.getLong(1);
                return rs.wasNull() ? null : token;
            }
        });
    }

    private static void bindUnlessQueued(PreparedStatement statement, int spaceKey, int id) throws SQLException {
        int queueKey = Waiters.queueKey(id);
        statement.setInt(1, spaceKey);
        statement.setInt(2, queueKey);
        statement.setInt(3, spaceKey);
        statement.setInt(4, queueKey);
        statement.setInt(5, spaceKey);
        statement.setInt(6, id);
    }

    /**
     * Drops what a failed {@link #tryLockUnlessQueued} may have left: a shared hold of the queue
     * key and the lock.
     */
    void unlockAfterFailedCheck(int spaceKey, int id) throws SQLException {
        call(c -> {
            try (PreparedStatement ps = c.prepareStatement(Sql.UNLOCK_AFTER_FAILED_CHECK)) {
                ps.setInt(1, spaceKey);
                ps.setInt(2, Waiters.queueKey(id));
                ps.setInt(3, spaceKey);
                ps.setInt(4, id);
                ps.executeQuery().close();
            }
            return null;
        });
    }

    /**
     * Draws a fencing token. Run on the session that holds the lock: if it answers, it was alive,
     * and so still held the lock, when the server drew the value.
     *
     * @return the token
     */
    long drawToken() throws SQLException {
        return call(c -> {
            try (ResultSet rs = drawToken.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        });
    }

    /**
     * Releases the lock.
     *
     * @return whether this session held it
     */
    boolean unlock(int spaceKey, int id) throws SQLException {
        return call(c -> {
            unlock.setInt(1, spaceKey);
            unlock.setInt(2, id);
            try (ResultSet rs = unlock.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        });
    }

    /**
     * Sends a heartbeat unless another statement is running (which renews the lease itself).
     *
     * @return whether a heartbeat was sent and answered
     */
    boolean heartbeatIfIdle() throws SQLException {
        if (!statements.tryLock()) {
            return false;
        }
        try {
            long sent = System.nanoTime();
            try (ResultSet rs = heartbeat.executeQuery()) {
                rs.next();
            }
            lastRenewNanos = sent;
            return true;
        } finally {
            statements.unlock();
        }
    }

    long lastRenewNanos() {
        return lastRenewNanos;
    }

    boolean isLost() {
        return lost;
    }

    String lostReason() {
        return lostReason;
    }

    /**
     * Marks the session lost and cuts its connection, so that a statement blocked on it returns and
     * nothing is ever sent on it again; the server ends the session when it sees the connection
     * close, or at the latest after the session timeout.
     *
     * @return whether this call marked it (exactly one caller does)
     */
    boolean markLost(String reason) {
        synchronized (this) {
            if (lost) {
                return false;
            }
            lostReason = reason;
            lost = true;
        }
        abort();
        return true;
    }

    /** Closes the connection; the server releases the session's locks. */
    void close() {
        lost = true;
        abort();
    }

    private void abort() {
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
