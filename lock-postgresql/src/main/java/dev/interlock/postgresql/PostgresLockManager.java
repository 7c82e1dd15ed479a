package dev.interlock.postgresql;

import dev.interlock.HeldLock;
import dev.interlock.LockAlreadyAllocatedException;
import dev.interlock.LockCountMismatchException;
import dev.interlock.LockLostException;
import dev.interlock.LockLostListener;
import dev.interlock.LockNotAllocatedException;
import dev.interlock.LockStorageAccessException;
import dev.interlock.LockStorageException;
import dev.interlock.Locker;
import dev.interlock.LocksExhaustedException;
import dev.interlock.LostLock;
import dev.interlock.ManagerClosedException;
import dev.interlock.support.AbstractLocker;
import dev.interlock.support.AbstractManager;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link dev.interlock.Manager} whose locks span hosts: PostgreSQL session-level advisory locks
 * in the two-int4 key form {@code (space_key, id)}, held by one server session per manager (the
 * <em>holder session</em>), with fencing tokens from a sequence and notice of locks lost when that
 * session ends.
 *
 * <p>A <em>lock space</em> is the analogue of a shared-memory segment: an independent set of
 * {@code numLocks} IDs, names and tokens inside one database, kept in the tables of a schema
 * ({@code interlock} by default) that the manager creates on first use, or that a DBA creates with
 * the script {@value Sql#SCHEMA_RESOURCE}. Many lock spaces and unrelated applications share a
 * database without colliding; see {@code docs/postgresql.md} for the key space.
 *
 * <p><b>Connections.</b> The manager opens and owns its sessions through {@link
 * java.sql.DriverManager}; it never borrows from the application's pool. Holding any number of
 * locks costs one session; threads waiting for locks held elsewhere cost up to {@link
 * Options#maxWaitingSessions()} more, which sleep on the server until the lock is free (no
 * polling); waiters of one lock queue on the server, so that a release wakes one of them, across
 * every process. Behind PgBouncer only session pooling works.
 *
 * <p><b>Lost locks.</b> The server releases a session's locks when the session ends: its client
 * died ({@code kill -9}: within milliseconds), it was terminated, the server restarted, or the
 * server heard nothing from it for the {@linkplain Options#sessionTimeout() session timeout} (a cut
 * network, a frozen client). The holder heartbeats, and gives its holds up on the client side
 * after {@link Options#leaseTimeout()}, shorter than the session timeout, since the last answered
 * statement: {@link dev.interlock.LockHandle#isValid()} turns {@code false} no later than the
 * server can hand the lock to another holder, the {@link Options#lockLostListener() listener} is
 * told once per hold, and the lock is never re-acquired behind the holder's back.
 *
 * @author Interlock team
 * @since 0.2.0
 */
public final class PostgresLockManager extends AbstractManager {

    private static final Logger logger = LoggerFactory.getLogger(PostgresLockManager.class);

    private static final long FOREVER = Long.MAX_VALUE;

    /** Consecutive session failures after which an acquisition gives up. */
    private static final int MAX_SESSION_FAILURES = 3;

    private static final AtomicInteger SERIAL = new AtomicInteger();

    private final String lockSpace;

    private final int spaceKey;

    private final Options options;

    private final Connections connections;

    private final String schema;

    private final Waiters waiters;

    private final ConcurrentHashMap<Integer, Gate> gates = new ConcurrentHashMap<>();

    private final ConcurrentHashMap<Integer, Hold> holds = new ConcurrentHashMap<>();

    private final ScheduledExecutorService watchdog;

    private final ExecutorService io;

    private final AtomicLong holdStamps = new AtomicLong();

    private final AtomicBoolean heartbeatInFlight = new AtomicBoolean();

    private final AtomicBoolean reconnectInFlight = new AtomicBoolean();

    private final long leaseNanos;

    private final long heartbeatNanos;

    private final int handOffAcquisitions;

    private final long handOffNanos;

    private final String label;

    private final Object sessionMonitor = new Object();

    private final Object stateMonitor = new Object();

    private volatile HolderSession session;

    private SessionState state = SessionState.CONNECTING;

    private long lastReconnectAttempt;

    /**
     * The local gate of one lock: threads of this manager that want the lock queue on it, and the
     * one that holds a permit talks to the server about the lock and holds it. It also keeps this
     * manager's current <em>run</em> on the lock: its consecutive acquisitions, during which it
     * takes the lock again without yielding to managers queued for it, up to the hand-off bound
     * ({@link Options#withHandOffAfter}). The run's fields are read and written only by the thread
     * that holds the permit (the permit's release and acquisition order them).
     */
    @SuppressWarnings("serial")
    private static final class Gate extends Semaphore {

        /** Acquisitions in the current run; 0 when there is none. */
        int runCount;

        /** {@link System#nanoTime()} at the run's first acquisition. */
        long runStartNanos;

        /** The holder session of the run's acquisitions. */
        @Nullable
        HolderSession runSession;

        /**
         * The queue place through which the run began, kept through the run: its waiter session
         * holds the lock's queue key, so no other manager becomes the head of the queue (and gets
         * woken by this manager's releases) until the run ends. {@code null} for a run that began
         * without queueing.
         */
        Waiters.@Nullable Place runPlace;

        Gate() {
            super(1);
        }

        /** Whether the run may go on: this manager takes the lock again without the queue check. */
        boolean inRun(HolderSession current, long now, int maxAcquisitions, long maxNanos) {
            return runCount > 0
                    && runSession == current
                    && runCount < maxAcquisitions
                    && now - runStartNanos < maxNanos;
        }
    }

    /** One hold of one lock by this manager. */
    private static final class Hold {

        /** Identifies the hold among this manager's holds of the lock. */
        final long stamp;

        /** The hold's fencing token, 0 until drawn. */
        volatile long token;

        final Instant since;

        final HolderSession session;

        final Optional<String> name;

        final AtomicBoolean reported = new AtomicBoolean();

        Hold(long stamp, long token, HolderSession session, Optional<String> name) {
            this.stamp = stamp;
            this.token = token;
            this.since = Instant.now();
            this.session = session;
            this.name = name;
        }
    }

    private PostgresLockManager(
            String lockSpace, int spaceKey, int numLocks, Options options, Connections connections, Connection first)
            throws SQLException {
        super(OptionalInt.of(numLocks));
        this.lockSpace = lockSpace;
        this.spaceKey = spaceKey;
        this.options = options;
        this.connections = connections;
        this.schema = options.schema();
        this.label = lockSpace + "#" + SERIAL.incrementAndGet();
        this.leaseNanos = options.leaseTimeout().toNanos();
        this.heartbeatNanos = options.heartbeatInterval().toNanos();
        this.handOffAcquisitions = options.handOffAcquisitions();
        this.handOffNanos = options.handOffTime().toNanos();
        this.waiters = new Waiters(connections, options.maxWaitingSessions(), label);
        this.session = new HolderSession(first, 1, schema);
        this.io = Executors.newSingleThreadExecutor(daemon("interlock-pg-io-" + label));
        this.watchdog = Executors.newSingleThreadScheduledExecutor(daemon("interlock-pg-watchdog-" + label));
        setState(SessionState.HEALTHY, "holder session " + session.backendPid + " opened");
        long tick = Math.max(10, Math.min(250, options.heartbeatInterval().toMillis() / 4));
        watchdog.scheduleWithFixedDelay(this::watch, tick, tick, TimeUnit.MILLISECONDS);
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        return task -> {
            Thread thread = new Thread(task, name);
            thread.setDaemon(true);
            return thread;
        };
    }

    // --- Factories ---------------------------------------------------------------------------

    /**
     * Creates a new lock space with {@code numLocks} locks, creating the schema if needed, with
     * default {@link Options}.
     *
     * @param jdbcUrl a {@code jdbc:postgresql:} URL; user and password may be given in it
     * @param lockSpace the lock space's name, 1 to 255 characters
     * @param numLocks how many lock IDs it has, positive
     * @return a manager attached to the new lock space
     * @throws LockStorageException if the lock space exists already, or the schema has another
     *     version or cannot be created
     * @throws PostgresConnectionException if the server cannot be reached or refuses the login
     */
    public static PostgresLockManager create(String jdbcUrl, String lockSpace, int numLocks) {
        return create(jdbcUrl, lockSpace, numLocks, Options.defaults());
    }

    /**
     * Opens an existing lock space, with default {@link Options}.
     *
     * @param jdbcUrl a {@code jdbc:postgresql:} URL
     * @param lockSpace the lock space's name
     * @param numLocks the lock count it was created with
     * @return a manager attached to the lock space
     * @throws LockStorageException if it does not exist, or the schema has another version
     * @throws LockCountMismatchException if it was created with another lock count
     * @throws PostgresConnectionException if the server cannot be reached or refuses the login
     */
    public static PostgresLockManager open(String jdbcUrl, String lockSpace, int numLocks) {
        return open(jdbcUrl, lockSpace, numLocks, Options.defaults());
    }

    /**
     * Opens the lock space, creating it (and the schema) if it does not exist, with default
     * {@link Options}. Safe to call from many processes at once: exactly one creates it.
     *
     * @param jdbcUrl a {@code jdbc:postgresql:} URL
     * @param lockSpace the lock space's name
     * @param numLocks its lock count
     * @return a manager attached to the lock space
     * @throws LockCountMismatchException if it exists with another lock count
     * @throws LockStorageException if the schema has another version or cannot be created
     * @throws PostgresConnectionException if the server cannot be reached or refuses the login
     */
    public static PostgresLockManager openOrCreate(String jdbcUrl, String lockSpace, int numLocks) {
        return openOrCreate(jdbcUrl, lockSpace, numLocks, Options.defaults());
    }

    /**
     * Creates a new lock space, as {@link #create(String, String, int)} does, with options.
     *
     * @param jdbcUrl a {@code jdbc:postgresql:} URL
     * @param lockSpace the lock space's name
     * @param numLocks its lock count, positive
     * @param options credentials, schema, timeouts and listeners
     * @return a manager attached to the new lock space
     * @throws LockStorageException if the lock space exists already, or the schema has another
     *     version or cannot be created
     * @throws PostgresConnectionException if the server cannot be reached or refuses the login
     */
    public static PostgresLockManager create(String jdbcUrl, String lockSpace, int numLocks, Options options) {
        return attach(jdbcUrl, lockSpace, numLocks, options, Mode.CREATE);
    }

    /**
     * Opens an existing lock space, as {@link #open(String, String, int)} does, with options.
     *
     * @param jdbcUrl a {@code jdbc:postgresql:} URL
     * @param lockSpace the lock space's name
     * @param numLocks the lock count it was created with
     * @param options credentials, schema, timeouts and listeners
     * @return a manager attached to the lock space
     * @throws LockStorageException if it does not exist, or the schema has another version
     * @throws LockCountMismatchException if it was created with another lock count
     * @throws PostgresConnectionException if the server cannot be reached or refuses the login
     */
    public static PostgresLockManager open(String jdbcUrl, String lockSpace, int numLocks, Options options) {
        return attach(jdbcUrl, lockSpace, numLocks, options, Mode.OPEN);
    }

    /**
     * Opens or creates the lock space, as {@link #openOrCreate(String, String, int)} does, with
     * options.
     *
     * @param jdbcUrl a {@code jdbc:postgresql:} URL
     * @param lockSpace the lock space's name
     * @param numLocks its lock count
     * @param options credentials, schema, timeouts and listeners
     * @return a manager attached to the lock space
     * @throws LockCountMismatchException if it exists with another lock count
     * @throws LockStorageException if the schema has another version or cannot be created
     * @throws PostgresConnectionException if the server cannot be reached or refuses the login
     */
    public static PostgresLockManager openOrCreate(String jdbcUrl, String lockSpace, int numLocks, Options options) {
        return attach(jdbcUrl, lockSpace, numLocks, options, Mode.OPEN_OR_CREATE);
    }

    /**
     * Removes a lock space: its allocations and names. The analogue of {@code SHMLockManager.unlink}.
     *
     * <p>Managers still attached to it keep the locks they hold until they release them, and can
     * still lock and unlock by ID (an advisory lock needs no row), but every acquisition fails
     * from then on, because the lock space's fencing state is gone, as do allocation and names;
     * they must be closed. A lock space created again under the same name gets a new key, so it
     * never shares a lock with the old one.
     *
     * @param jdbcUrl a {@code jdbc:postgresql:} URL
     * @param lockSpace the lock space's name
     * @return whether it existed
     * @throws PostgresConnectionException if the server cannot be reached or refuses the login
     * @throws LockStorageException if the lock space cannot be removed
     */
    public static boolean drop(String jdbcUrl, String lockSpace) {
        return drop(jdbcUrl, lockSpace, Options.defaults());
    }

    /**
     * Removes a lock space, as {@link #drop(String, String)} does, with options (credentials and
     * schema).
     *
     * @param jdbcUrl a {@code jdbc:postgresql:} URL
     * @param lockSpace the lock space's name
     * @param options credentials and schema
     * @return whether it existed
     * @throws PostgresConnectionException if the server cannot be reached or refuses the login
     * @throws LockStorageException if the lock space cannot be removed
     */
    public static boolean drop(String jdbcUrl, String lockSpace, Options options) {
        Connections connections = new Connections(jdbcUrl, options);
        try (Connection connection = connections.open(false);
                PreparedStatement delete =
                        connection.prepareStatement(Sql.forSchema(Sql.DELETE_LOCK_SPACE, options.schema()))) {
            delete.setString(1, lockSpace);
            try (ResultSet rs = delete.executeQuery()) {
                return rs.next();
            }
        } catch (SQLException ex) {
            if (isMissingSchema(ex)) {
                return false;
            }
            throw storageFailure(
                    connections.redactedUrl(), "Cannot drop lock space '" + lockSpace + "'", options.schema(), ex);
        }
    }

    private enum Mode {
        CREATE,
        OPEN,
        OPEN_OR_CREATE
    }

    private static PostgresLockManager attach(
            String jdbcUrl, String lockSpace, int numLocks, Options options, Mode mode) {
        Objects.requireNonNull(jdbcUrl, "jdbcUrl");
        Objects.requireNonNull(options, "options");
        checkLockSpaceName(lockSpace);
        if (numLocks <= 0) {
            throw new IllegalArgumentException("A lock space needs a positive lock count, but numLocks was " + numLocks
                    + "; pass the number of lock IDs it must hold");
        }
        Connections connections = new Connections(jdbcUrl, options);
        Connection connection = connections.open(true);
        String where = connections.redactedUrl() + " lock space '" + lockSpace + "' (schema " + options.schema() + ")";
        try {
            ensureSchema(connection, options, connections.redactedUrl());
            int key = attachLockSpace(connection, where, lockSpace, numLocks, options, mode);
            return new PostgresLockManager(lockSpace, key, numLocks, options, connections, connection);
        } catch (SQLException ex) {
            closeQuietly(connection);
            throw storageFailure(where, "Cannot attach to the lock space", options.schema(), ex);
        } catch (RuntimeException ex) {
            closeQuietly(connection);
            throw ex;
        }
    }

    private static void checkLockSpaceName(String lockSpace) {
        Objects.requireNonNull(lockSpace, "lockSpace");
        if (lockSpace.isEmpty() || lockSpace.length() > 255 || lockSpace.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("A lock space name must be 1 to 255 characters without NUL, but was '"
                    + lockSpace + "' (" + lockSpace.length() + " characters); use a short name such as the"
                    + " application's name");
        }
    }

    private static void ensureSchema(Connection connection, Options options, String url) throws SQLException {
        String schema = options.schema();
        String where = url + " schema " + schema;
        boolean upgraded = false;
        for (int attempt = 0; ; attempt++) {
            int version;
            try (Statement st = connection.createStatement();
                    ResultSet rs = st.executeQuery(Sql.forSchema(Sql.READ_SCHEMA_VERSION, schema))) {
                rs.next();
                version = rs.getInt(1);
            } catch (SQLException ex) {
                if (!isMissingSchema(ex)) {
                    throw ex;
                }
                if (attempt > 0) {
                    throw new LockStorageException(
                            where,
                            "The schema " + schema + " exists at " + url + " but holds no Interlock tables (no "
                                    + schema + ".schema_version), so Interlock did not create them: it belongs to"
                                    + " something else; give Interlock another schema"
                                    + " (PostgresLockManager.Options.withSchema), or drop this one if it is unused",
                            ex);
                }
                if (!options.schemaCreation()) {
                    throw new LockStorageException(
                            where,
                            "The Interlock schema " + schema + " does not exist at " + url
                                    + ", and schema creation is switched off (Options.withSchemaCreation(false)); run "
                                    + Sql.SCHEMA_RESOURCE + " from the lock-postgresql jar as a user allowed to"
                                    + " create schemas, or switch creation on");
                }
                runScript(connection, Sql.SCHEMA_RESOURCE, schema, url);
                continue;
            }
            if (version == Sql.SCHEMA_VERSION) {
                return;
            }
            if (version != Sql.UPGRADABLE_SCHEMA_VERSION || upgraded) {
                throw new LockStorageException(
                        where,
                        "The Interlock schema " + schema + " at " + url + " has version " + version
                                + ", but this Interlock reads and writes version " + Sql.SCHEMA_VERSION
                                + " (and upgrades version " + Sql.UPGRADABLE_SCHEMA_VERSION + " in place); use an"
                                + " Interlock release of that version, or give this one another schema"
                                + " (PostgresLockManager.Options.withSchema)");
            }
            if (!options.schemaCreation()) {
                throw new LockStorageException(
                        where,
                        "The Interlock schema " + schema + " at " + url + " has version " + version
                                + ", but this Interlock needs version " + Sql.SCHEMA_VERSION + ", and schema"
                                + " creation is switched off (Options.withSchemaCreation(false)); run "
                                + Sql.UPGRADE_RESOURCE + " from the lock-postgresql jar (psql -v ON_ERROR_STOP=1"
                                + " --single-transaction -f schema-postgresql-upgrade-1-to-2.sql) as the schema's"
                                + " owner, or switch creation on to let Interlock upgrade it");
            }
            try {
                runScript(connection, Sql.UPGRADE_RESOURCE, schema, url);
            } catch (SQLException ex) {
                if (!"42501".equals(ex.getSQLState())) {
                    throw ex;
                }
                throw new LockStorageAccessException(
                        where,
                        "Cannot upgrade the Interlock schema " + schema + " at " + url + " from version " + version
                                + " to " + Sql.SCHEMA_VERSION + ": the server denied a privilege (SQLSTATE 42501: "
                                + ex.getMessage() + "); run " + Sql.UPGRADE_RESOURCE + " from the lock-postgresql"
                                + " jar as the schema's owner (psql -v ON_ERROR_STOP=1 --single-transaction -f"
                                + " schema-postgresql-upgrade-1-to-2.sql), or open the first manager as that owner",
                        ex);
            }
            upgraded = true;
        }
    }

    /** Runs a DDL script in one transaction; one that another process ran at the same moment is fine. */
    private static void runScript(Connection connection, String resource, String schema, String url)
            throws SQLException {
        connection.setAutoCommit(false);
        try (Statement st = connection.createStatement()) {
            st.execute(Sql.script(resource, schema));
            connection.commit();
            logger.info(
                    "Ran {} on the Interlock schema {} (now version {}) at {}",
                    resource,
                    schema,
                    Sql.SCHEMA_VERSION,
                    url);
        } catch (SQLException ex) {
            connection.rollback();
            String state = ex.getSQLState();
            // Another process created it at the same moment: read its version again.
            boolean raced = "42P06".equals(state) || "42P07".equals(state) || "23505".equals(state);
            if (!raced) {
                throw ex;
            }
        } finally {
            connection.setAutoCommit(true);
        }
    }

    private static int attachLockSpace(
            Connection connection, String where, String lockSpace, int numLocks, Options options, Mode mode)
            throws SQLException {
        String schema = options.schema();
        for (int attempt = 0; attempt < 3; attempt++) {
            try (PreparedStatement read = connection.prepareStatement(Sql.forSchema(Sql.READ_LOCK_SPACE, schema))) {
                read.setString(1, lockSpace);
                try (ResultSet rs = read.executeQuery()) {
                    if (rs.next()) {
                        if (mode == Mode.CREATE) {
                            throw new LockStorageException(
                                    where,
                                    "Lock space '" + lockSpace + "' exists already in " + where + " (with "
                                            + rs.getInt(2) + " locks); open it with PostgresLockManager.open or"
                                            + " openOrCreate, or remove it first with PostgresLockManager.drop when no"
                                            + " process uses it");
                        }
                        int layout = rs.getInt(3);
                        if (layout != Sql.LAYOUT_VERSION) {
                            throw new LockStorageException(
                                    where,
                                    "Lock space '" + lockSpace + "' in " + where + " has layout version " + layout
                                            + ", but this Interlock uses layout version " + Sql.LAYOUT_VERSION
                                            + "; use a matching Interlock release, or another lock space name");
                        }
                        int actual = rs.getInt(2);
                        if (actual != numLocks) {
                            throw new LockCountMismatchException(
                                    where,
                                    numLocks,
                                    actual,
                                    "open it with numLocks=" + actual + ", or, when no process uses it, remove it"
                                            + " with PostgresLockManager.drop(url, \"" + lockSpace
                                            + "\") and create it again");
                        }
                        return rs.getInt(1);
                    }
                }
            }
            if (mode == Mode.OPEN) {
                throw new LockStorageException(
                        where,
                        "Lock space '" + lockSpace + "' does not exist in " + where
                                + "; create it with PostgresLockManager.create or openOrCreate");
            }
            try (PreparedStatement insert = connection.prepareStatement(Sql.forSchema(Sql.INSERT_LOCK_SPACE, schema))) {
                insert.setString(1, lockSpace);
                insert.setInt(2, numLocks);
                insert.setInt(3, Sql.LAYOUT_VERSION);
                try (ResultSet rs = insert.executeQuery()) {
                    if (rs.next()) {
                        return rs.getInt(1);
                    }
                }
            }
            if (mode == Mode.CREATE) {
                throw new LockStorageException(
                        where,
                        "Lock space '" + lockSpace + "' was created by another process at the same moment in " + where
                                + "; open it with PostgresLockManager.open or openOrCreate");
            }
            // Created by another process between our read and insert: read it again.
        }
        throw new LockStorageException(
                where,
                "Lock space '" + lockSpace + "' in " + where + " appeared and vanished three times while attaching;"
                        + " another process is creating and dropping it: stop that process and try again");
    }

    private static boolean isMissingSchema(SQLException ex) {
        String state = ex.getSQLState();
        return "42P01".equals(state) || "3F000".equals(state);
    }

    private static LockStorageException storageFailure(String where, String what, String schema, SQLException ex) {
        String state = ex.getSQLState();
        if ("42501".equals(state)) {
            return new LockStorageAccessException(
                    where,
                    what + " in " + where + ": the server denied a privilege (SQLSTATE 42501: " + ex.getMessage()
                            + "); grant the user CREATE on the database to let Interlock create the schema "
                            + schema + ", or have a DBA run " + Sql.SCHEMA_RESOURCE + " and grant USAGE on the"
                            + " schema and SELECT, INSERT, DELETE, UPDATE on its tables and sequences",
                    ex);
        }
        return new LockStorageException(
                where, what + " in " + where + ": " + ex.getMessage() + " (SQLSTATE " + state + ")", ex);
    }

    private static void closeQuietly(Connection connection) {
        try {
            connection.close();
        } catch (SQLException ignored) {
            // Nothing left to release.
        }
    }

    // --- Session state -----------------------------------------------------------------------

    /**
     * Returns the state of the holder session, as a health check reports it.
     *
     * @return the current state
     */
    public SessionState sessionState() {
        synchronized (stateMonitor) {
            return state;
        }
    }

    /**
     * Returns the lock space's name.
     *
     * @return the name given at creation
     */
    public String lockSpace() {
        return lockSpace;
    }

    /**
     * Returns the options this manager runs with.
     *
     * @return the options
     */
    public Options options() {
        return options;
    }

    private void setState(SessionState next, String detail) {
        synchronized (stateMonitor) {
            SessionState previous = state;
            if (previous == next || previous == SessionState.CLOSED) {
                return;
            }
            state = next;
            if (next == SessionState.LOST || next == SessionState.SUSPECT) {
                logger.warn("{}: holder session {} -> {}: {}", this, previous, next, detail);
            } else {
                logger.debug("{}: holder session {} -> {}: {}", this, previous, next, detail);
            }
            try {
                options.sessionStateListener().stateChanged(previous, next, detail);
            } catch (RuntimeException ex) {
                logger.warn("{}: the session state listener failed on {} -> {}", this, previous, next, ex);
            }
        }
    }

    /** Runs every tick on the watchdog thread; never does I/O itself. */
    private void watch() {
        if (isClosed()) {
            return;
        }
        HolderSession current = session;
        long now = System.nanoTime();
        if (!current.isLost()) {
            long silent = now - current.lastRenewNanos();
            if (silent > leaseNanos) {
                sessionLost(
                        current,
                        "the server did not answer the holder session for " + TimeUnit.NANOSECONDS.toMillis(silent)
                                + " ms, longer than the lease of "
                                + options.leaseTimeout().toMillis()
                                + " ms (the network may be cut, or this process or the server was stalled); the server"
                                + " ends the session, and releases its locks, within the session timeout of "
                                + options.sessionTimeout().toMillis() + " ms");
                return;
            }
            if (silent > 2 * heartbeatNanos) {
                setState(
                        SessionState.SUSPECT,
                        "no answer from the server for " + TimeUnit.NANOSECONDS.toMillis(silent) + " ms; holds are lost"
                                + " unless it answers within "
                                + options.leaseTimeout().toMillis() + " ms of the last"
                                + " answer");
            } else {
                setState(SessionState.HEALTHY, "the server answered again");
            }
            if (silent >= heartbeatNanos && heartbeatInFlight.compareAndSet(false, true)) {
                io.execute(() -> heartbeat(current));
            }
        } else if (now - lastReconnectAttempt >= heartbeatNanos && reconnectInFlight.compareAndSet(false, true)) {
            lastReconnectAttempt = now;
            io.execute(this::reconnectInBackground);
        }
    }

    private void heartbeat(HolderSession current) {
        try {
            current.heartbeatIfIdle();
        } catch (SQLException ex) {
            sessionLost(current, describe(ex));
        } finally {
            heartbeatInFlight.set(false);
        }
    }

    private void reconnectInBackground() {
        try {
            if (!isClosed()) {
                currentSession();
            }
        } catch (RuntimeException ex) {
            logger.debug("{}: cannot open a new holder session yet: {}", this, ex.getMessage());
        } finally {
            reconnectInFlight.set(false);
        }
    }

    private static String describe(SQLException ex) {
        return "the server session ended: " + ex.getMessage() + " (SQLSTATE " + ex.getSQLState() + ")";
    }

    /**
     * Gives up {@code lost}: cuts it, reports every hold it carried once, and cuts the waiter
     * sessions (which try again on new ones).
     */
    private void sessionLost(HolderSession lost, String reason) {
        if (!lost.markLost(reason)) {
            return;
        }
        setState(SessionState.LOST, "holder session " + lost.backendPid + ": " + reason);
        for (var entry : holds.entrySet()) {
            Hold hold = entry.getValue();
            if (hold.session == lost) {
                report(entry.getKey(), hold, reason);
            }
        }
        waiters.abortAll();
    }

    private void report(int id, Hold hold, String reason) {
        if (!hold.reported.compareAndSet(false, true)) {
            return;
        }
        LostLock lost = new LostLock(id, hold.name, hold.token, reason);
        logger.warn(
                "{}: lock {}{} (fencing token {}) was lost: {}",
                this,
                id,
                hold.name.map(n -> " '" + n + "'").orElse(""),
                hold.token,
                reason);
        try {
            options.lockLostListener().lockLost(lost);
        } catch (RuntimeException ex) {
            logger.warn("{}: the lock-lost listener failed for lock {}", this, id, ex);
        }
    }

    /** Returns a live holder session, opening a new one if the last was lost. */
    private HolderSession currentSession() {
        HolderSession current = session;
        if (!current.isLost()) {
            return current;
        }
        synchronized (sessionMonitor) {
            current = session;
            if (!current.isLost()) {
                return current;
            }
            ensureOpen();
            setState(SessionState.CONNECTING, "opening a new holder session after: " + current.lostReason());
            Connection connection = connections.open(true);
            try {
                HolderSession next = new HolderSession(connection, current.generation + 1, schema);
                session = next;
                setState(SessionState.HEALTHY, "holder session " + next.backendPid + " opened");
                if (isClosed()) {
                    next.close();
                    throw new ManagerClosedException(toString());
                }
                return next;
            } catch (SQLException ex) {
                closeQuietly(connection);
                setState(SessionState.LOST, "cannot prepare a new holder session: " + ex.getMessage());
                throw storageFailure(connections.redactedUrl(), "Cannot open a new holder session", schema, ex);
            }
        }
    }

    /**
     * Runs {@code work} on the holder session; a failure that ends the session marks it lost. A
     * session that ended while idle (terminated, the server restarted) is noticed only by the next
     * statement, so work that is {@code repeatable} (its effect is the same when a lost round trip
     * committed unseen) runs once more, on a new session; holds of the lost session stay lost.
     */
    private <T> T onSession(String what, boolean repeatable, HolderSession.Work<T> work) {
        for (boolean first = true; ; first = false) {
            HolderSession current = currentSession();
            try {
                return current.call(work);
            } catch (SQLException ex) {
                boolean ended = Connections.endsSession(ex, current.connection);
                if (ended) {
                    sessionLost(current, describe(ex));
                }
                if (isClosed()) {
                    throw new ManagerClosedException(toString());
                }
                if (ended && repeatable && first) {
                    continue;
                }
                if ("23503".equals(ex.getSQLState())) {
                    throw droppedFailure(what);
                }
                String where = connections.redactedUrl() + " lock space '" + lockSpace + "'";
                if (ended && !repeatable) {
                    throw new LockStorageException(
                            where,
                            what + ": " + describe(ex) + ", so whether the server applied the change before"
                                    + " that is unknown; the next call runs on a new session: call again if need be"
                                    + " (LockAlreadyAllocatedException or LockNotAllocatedException then may mean"
                                    + " that this call's change was applied)",
                            ex);
                }
                throw storageFailure(where, what, schema, ex);
            }
        }
    }

    private LockStorageException droppedFailure(String what) {
        return new LockStorageException(
                connections.redactedUrl() + " lock space '" + lockSpace + "'",
                what + ": lock space '" + lockSpace + "' (key " + spaceKey + ") was dropped while " + this
                        + " was attached; close this manager and open the lock space again");
    }

    // --- Locking (called by PostgresLock) ------------------------------------------------------

    private Gate gate(int id) {
        Gate gate = gates.get(id);
        return gate != null ? gate : gates.computeIfAbsent(id, k -> new Gate());
    }

    /**
     * Acquires lock {@code id} for this manager. Threads of this manager queue on a local gate, so
     * that only one of them at a time talks to the server about a lock; the gate is held for as
     * long as the lock is.
     *
     * <p>Bounded barging: within a run ({@link Gate}) the acquisition is a plain try, which may
     * overtake managers queued for the lock. Once the run has reached the hand-off bound, or when
     * there is no run, a waiting acquisition first checks the queue ({@link
     * Sql#TRY_LOCK_UNLESS_QUEUED}) and queues behind whoever is there, so that the release this
     * manager just made goes to the head of the queue. An acquisition that came through the queue
     * begins a run and keeps its queue place for it; a {@code tryLock()} without a timeout never
     * waits, so it always makes the plain try.
     */
    boolean acquire(int id, Optional<String> name, long timeoutNanos) throws InterruptedException {
        long start = System.nanoTime();
        boolean forever = timeoutNanos == FOREVER;
        Gate gate = gate(id);
        if (timeoutNanos == 0) {
            if (!gate.tryAcquire()) {
                return false;
            }
        } else if (forever) {
            gate.acquire();
        } else if (!gate.tryAcquire(timeoutNanos, TimeUnit.NANOSECONDS)) {
            return false;
        }
        boolean acquired = false;
        // This thread's place in the lock's queue on the server, from its first wait on.
        Waiters.Place place = null;
        try {
            int failures = 0;
            while (true) {
                ensureOpen();
                HolderSession current = currentSession();
                long now = System.nanoTime();
                if (gate.runPlace != null && place != gate.runPlace && !inRun(gate, current, now)) {
                    // The run is over (or its holder session was lost): give its queue place up
                    // before the queue check, which would otherwise find this manager queued.
                    endRun(gate);
                }
                boolean atHead = place != null && place.isQueued();
                boolean plain = atHead || timeoutNanos == 0 || inRun(gate, current, now);
                Long token;
                try {
                    if (options.tokenAtAcquisition()) {
                        token = plain
                                ? current.tryLockWithToken(spaceKey, id)
                                : current.tryLockWithTokenUnlessQueued(spaceKey, id);
                    } else {
                        boolean granted =
                                plain ? current.tryLock(spaceKey, id) : current.tryLockUnlessQueued(spaceKey, id);
                        token = granted ? 0L : null;
                    }
                } catch (SQLException ex) {
                    handleTryLockFailure(current, id, ex, ++failures, !plain);
                    continue;
                }
                if (token != null) {
                    Hold hold = new Hold(holdStamps.incrementAndGet(), token, current, name);
                    holds.put(id, hold);
                    if (current.isLost() && hold.reported.compareAndSet(false, true)) {
                        // The session was lost while we took the lock: it died with the session.
                        holds.remove(id, hold);
                        if (++failures >= MAX_SESSION_FAILURES) {
                            throw sessionFailure(id, current.lostReason());
                        }
                        continue;
                    }
                    if (atHead && place == gate.runPlace) {
                        gate.runCount++; // the run's own place: another manager had barged in
                    } else if (atHead) {
                        startRun(gate, current, now, place);
                        place = null; // kept for the run, closed when it ends
                    } else if (!plain) {
                        startRun(gate, current, now, null);
                    } else if (gate.runCount > 0) {
                        gate.runCount++;
                    }
                    acquired = true;
                    return true;
                }
                if (timeoutNanos == 0) {
                    return false;
                }
                long remaining = forever ? FOREVER : timeoutNanos - (System.nanoTime() - start);
                if (remaining <= 0) {
                    return false;
                }
                if (place == null && gate.runPlace != null) {
                    // The run's own try lost to a manager that barged in: wait at the head with
                    // the run's place, which holds the queue key.
                    place = gate.runPlace;
                } else if (place == null) {
                    place = waiters.enter(spaceKey, id, remaining);
                    if (place == null) {
                        return false;
                    }
                    remaining = forever ? FOREVER : timeoutNanos - (System.nanoTime() - start);
                    if (remaining <= 0) {
                        return false;
                    }
                }
                try {
                    if (!place.await(remaining)) {
                        return false;
                    }
                    failures = 0;
                } catch (SQLException ex) {
                    ensureOpen();
                    if (++failures >= MAX_SESSION_FAILURES) {
                        throw sessionFailure(id, describe(ex));
                    }
                }
            }
        } finally {
            if (place != null && place == gate.runPlace) {
                if (!acquired) {
                    endRun(gate); // the wait ended without the lock: so does the run
                }
            } else if (place != null) {
                place.close();
            }
            if (!acquired) {
                gate.release();
            }
        }
    }

    /** Whether this manager's run on the gate's lock may go on within the hand-off bound. */
    private boolean inRun(Gate gate, HolderSession current, long now) {
        return gate.inRun(current, now, handOffAcquisitions, handOffNanos);
    }

    /**
     * Begins a run of this manager on a lock with the acquisition just made, keeping {@code place}
     * (or {@code null}) for it; the caller holds the gate. A kept place is given up at the latest
     * when the hand-off time is over, by a watchdog task if no thread of this manager is at the
     * lock then.
     */
    private void startRun(Gate gate, HolderSession current, long now, Waiters.@Nullable Place place) {
        if (gate.runPlace != null && gate.runPlace != place) {
            endRun(gate);
        }
        gate.runCount = 1;
        gate.runStartNanos = now;
        gate.runSession = current;
        gate.runPlace = place;
        if (place != null) {
            try {
                watchdog.schedule(() -> endIdleRun(gate, place), handOffNanos, TimeUnit.NANOSECONDS);
            } catch (RejectedExecutionException ex) {
                // Closing: the waiter sessions are being cut, the queue key with them.
            }
        }
    }

    /** Ends a run; the caller holds the gate. Gives its queue place up (in the background). */
    private static void endRun(Gate gate) {
        Waiters.Place place = gate.runPlace;
        gate.runPlace = null;
        gate.runCount = 0;
        gate.runSession = null;
        if (place != null) {
            place.close();
        }
    }

    /**
     * Ends a run whose hand-off time is over while no thread of this manager is at the lock (the
     * last holder released it and nobody took it again), so that the queue moves on. When a thread
     * is at the lock, its release or its next acquisition ends the run.
     */
    private void endIdleRun(Gate gate, Waiters.Place place) {
        if (gate.tryAcquire()) {
            try {
                if (gate.runPlace == place) {
                    endRun(gate);
                }
            } finally {
                gate.release();
            }
        }
    }

    private void handleTryLockFailure(HolderSession current, int id, SQLException ex, int failures, boolean checked) {
        if (Connections.endsSession(ex, current.connection)) {
            sessionLost(current, describe(ex));
            ensureOpen();
            if (failures >= MAX_SESSION_FAILURES) {
                throw sessionFailure(id, describe(ex));
            }
            return;
        }
        // The statement failed on a live session (for example the lock space was dropped): the
        // advisory lock may have been granted before the failure, and it outlives the statement.
        try {
            if (checked) {
                current.unlockAfterFailedCheck(spaceKey, id);
            } else {
                current.unlock(spaceKey, id);
            }
        } catch (SQLException ignored) {
            sessionLost(current, describe(ignored));
        }
        if ("42P01".equals(ex.getSQLState()) || "3F000".equals(ex.getSQLState())) {
            throw droppedFailure("Cannot lock " + id);
        }
        throw storageFailure(
                connections.redactedUrl() + " lock space '" + lockSpace + "'", "Cannot lock " + id, schema, ex);
    }

    private LockStorageException sessionFailure(int id, String reason) {
        return new LockStorageException(
                connections.redactedUrl() + " lock space '" + lockSpace + "'",
                "Cannot acquire lock " + id + " of " + this + ": the server session failed "
                        + MAX_SESSION_FAILURES + " times in a row, last: " + reason
                        + "; check that the server is up and reachable, then try again");
    }

    void release(int id) {
        Hold hold = holds.remove(id);
        Gate gate = gate(id);
        try {
            if (hold != null && hold.session == session && !hold.session.isLost()) {
                try {
                    if (!hold.session.unlock(spaceKey, id)) {
                        logger.warn(
                                "{}: the server says holder session {} did not hold lock {} at unlock; it was released"
                                        + " by someone else (pg_advisory_unlock_all?)",
                                this,
                                hold.session.backendPid,
                                id);
                    }
                } catch (SQLException ex) {
                    if (Connections.endsSession(ex, hold.session.connection)) {
                        sessionLost(hold.session, describe(ex));
                    } else {
                        throw storageFailure(
                                connections.redactedUrl() + " lock space '" + lockSpace + "'",
                                "Cannot unlock " + id,
                                schema,
                                ex);
                    }
                }
            }
        } finally {
            if (gate.runPlace != null && !inRun(gate, session, System.nanoTime())) {
                endRun(gate); // hand the lock off now: the head of the queue takes it after this release
            }
            gate.release();
        }
    }

    /**
     * Returns the hold's token, drawing it on the session that holds the lock the first time. A
     * token is never drawn for a hold that is lost, nor on another session: a holder cut off from
     * the server could otherwise draw a token greater than its successor's.
     */
    long token(int id) {
        Hold hold = holds.get(id);
        if (hold == null) {
            throw new IllegalMonitorStateException("Lock " + id + " of " + this + " is not held through this manager");
        }
        long token = hold.token;
        if (token != 0) {
            return token;
        }
        synchronized (hold) {
            if (hold.token == 0) {
                if (isLost(id)) {
                    throw tokenOfLostHold(
                            id, hold, hold.session.isLost() ? hold.session.lostReason() : "lease expired");
                }
                try {
                    hold.token = hold.session.drawToken();
                } catch (SQLException ex) {
                    if (Connections.endsSession(ex, hold.session.connection)) {
                        sessionLost(hold.session, describe(ex));
                        throw tokenOfLostHold(id, hold, describe(ex));
                    }
                    if ("42P01".equals(ex.getSQLState()) || "3F000".equals(ex.getSQLState())) {
                        throw droppedFailure("Cannot draw a fencing token for lock " + id);
                    }
                    throw storageFailure(
                            connections.redactedUrl() + " lock space '" + lockSpace + "'",
                            "Cannot draw a fencing token for lock " + id,
                            schema,
                            ex);
                }
            }
            return hold.token;
        }
    }

    private LockLostException tokenOfLostHold(int id, Hold hold, String reason) {
        return new LockLostException(
                new LostLock(id, hold.name, 0, reason),
                "Lock " + id + " of " + this + " was lost before its fencing token was first asked for (" + reason
                        + "), so it gets none: another holder may have it; unlock it and lock it again");
    }

    long stamp(int id) {
        Hold hold = holds.get(id);
        return hold == null ? 0 : hold.stamp;
    }

    boolean drawsTokensOnDemand() {
        return !options.tokenAtAcquisition();
    }

    boolean isLost(int id) {
        Hold hold = holds.get(id);
        if (hold == null) {
            return true;
        }
        HolderSession held = hold.session;
        return held.isLost() || held != session || System.nanoTime() - held.lastRenewNanos() > leaseNanos;
    }

    // --- AbstractManager -----------------------------------------------------------------------

    @Override
    protected AbstractLocker lockerFor(int id) {
        return new PostgresLock(this, id, Optional.empty());
    }

    private int allocateOnServer(@Nullable Integer id, @Nullable String name, String what) {
        // A name binds once, and a lowest-free allocation lost unseen leaks its ID whether or not it
        // is repeated; a given ID would be reported as allocated by the repetition.
        int result = onSession(what, id == null, c -> {
            try (PreparedStatement ps = c.prepareStatement(Sql.forSchema(Sql.ALLOCATE, schema))) {
                ps.setInt(1, spaceKey);
                ps.setInt(2, numLocks().getAsInt());
                if (id == null) {
                    ps.setNull(3, Types.INTEGER);
                } else {
                    ps.setInt(3, id);
                }
                ps.setString(4, name);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getInt(1);
                }
            }
        });
        if (result == -3) {
            throw droppedFailure(what);
        }
        return result;
    }

    @Override
    protected int allocateLowestFree() {
        int id = allocateOnServer(null, null, "Cannot allocate a lock");
        if (id == -2) {
            throw exhausted();
        }
        return id;
    }

    private LocksExhaustedException exhausted() {
        return new LocksExhaustedException(
                numLocks().getAsInt(),
                "the numLocks of lock space '" + lockSpace + "', which cannot grow in place: create a lock space"
                        + " with more locks, or, when no process uses this one, drop it and create it again");
    }

    @Override
    protected void allocate(int id) {
        if (allocateOnServer(id, null, "Cannot allocate lock " + id) == -1) {
            throw new LockAlreadyAllocatedException(id);
        }
    }

    @Override
    protected void deallocate(int id) {
        int deleted = onSession("Cannot free lock " + id, false, c -> {
            try (PreparedStatement ps = c.prepareStatement(Sql.forSchema(Sql.FREE, schema))) {
                ps.setInt(1, spaceKey);
                ps.setInt(2, id);
                return ps.executeUpdate();
            }
        });
        if (deleted == 0) {
            throw new LockNotAllocatedException(id);
        }
    }

    @Override
    protected void deallocateAll() {
        onSession("Cannot free all locks", true, c -> {
            try (PreparedStatement ps = c.prepareStatement(Sql.forSchema(Sql.FREE_ALL, schema))) {
                ps.setInt(1, spaceKey);
                return ps.executeUpdate();
            }
        });
    }

    @Override
    protected OptionalInt countAvailable() {
        return OptionalInt.of(numLocks().getAsInt() - countAllocated());
    }

    @Override
    protected int countAllocated() {
        return onSession("Cannot count the allocated locks", true, c -> {
            try (PreparedStatement ps = c.prepareStatement(Sql.forSchema(Sql.COUNT_ALLOCATED, schema))) {
                ps.setInt(1, spaceKey);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getInt(1);
                }
            }
        });
    }

    @Override
    protected List<HeldLock> readHeld() {
        List<HeldLock> result = onSession("Cannot read the held locks", true, c -> {
            List<HeldLock> held = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement(Sql.forSchema(Sql.READ_HELD, schema))) {
                ps.setInt(1, spaceKey);
                ps.setLong(2, Integer.toUnsignedLong(spaceKey));
                ps.setLong(3, numLocks().getAsInt());
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        int id = (int) rs.getLong(1);
                        String[] identity = Connections.parseApplicationName(rs.getString(3));
                        String clientAddress = rs.getString(4);
                        Optional<String> name = Optional.ofNullable(rs.getString(5));
                        OptionalLong ownerPid =
                                identity == null ? OptionalLong.empty() : OptionalLong.of(Long.parseLong(identity[0]));
                        Optional<String> host =
                                identity != null ? Optional.of(identity[1]) : Optional.ofNullable(clientAddress);
                        Hold mine = rs.getBoolean(2) ? holds.get(id) : null;
                        held.add(new HeldLock(
                                id,
                                name,
                                ownerPid,
                                mine == null ? Optional.empty() : Optional.of(mine.since),
                                host,
                                mine == null || mine.token == 0 ? OptionalLong.empty() : OptionalLong.of(mine.token)));
                    }
                }
            }
            return held;
        });
        return Collections.unmodifiableList(result);
    }

    @Override
    protected SortedMap<String, Integer> readNames() {
        return onSession("Cannot read the lock names", true, c -> {
            TreeMap<String, Integer> names = new TreeMap<>();
            try (PreparedStatement ps = c.prepareStatement(Sql.forSchema(Sql.READ_NAMES, schema))) {
                ps.setInt(1, spaceKey);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        names.put(rs.getString(1), rs.getInt(2));
                    }
                }
            }
            return Collections.unmodifiableSortedMap(names);
        });
    }

    @Override
    protected Locker bindName(String name) {
        Integer found = findName(name);
        int id = found != null ? found : allocateOnServer(null, name, "Cannot bind lock name '" + name + "'");
        if (id == -2) {
            throw exhausted();
        }
        return new PostgresLock(this, id, Optional.of(name));
    }

    /** One indexed row instead of every name of the lock space, at each slice of a name wait. */
    @Override
    protected OptionalInt boundId(String key) {
        Integer found = findName(key);
        return found == null ? OptionalInt.empty() : OptionalInt.of(found);
    }

    /** Returns the ID bound to {@code name}, or {@code null}, without writing. */
    private @Nullable Integer findName(String name) {
        return onSession("Cannot look up lock name '" + name + "'", true, c -> {
            try (PreparedStatement ps = c.prepareStatement(Sql.forSchema(Sql.FIND_NAME, schema))) {
                ps.setInt(1, spaceKey);
                ps.setString(2, name);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? rs.getInt(1) : null;
                }
            }
        });
    }

    @Override
    protected void closeStorage() {
        watchdog.shutdownNow();
        io.shutdownNow();
        waiters.close();
        synchronized (sessionMonitor) {
            session.close();
        }
        setState(SessionState.CLOSED, "the manager was closed");
    }

    @Override
    public String toString() {
        return "PostgresLockManager[" + connections.redactedUrl() + ", lock space '" + lockSpace + "' (key " + spaceKey
                + "), " + numLocks().getAsInt() + " locks" + (isClosed() ? ", closed" : "") + "]";
    }

    // --- Options -------------------------------------------------------------------------------

    /**
     * Options for attaching to a lock space. Immutable: every {@code with…} method returns a copy.
     *
     * @author Interlock team
     * @since 0.2.0
     */
    public static final class Options {

        /** The default of {@link #handOffAcquisitions()}. */
        static final int DEFAULT_HAND_OFF_ACQUISITIONS = 200;

        /** The default of {@link #handOffTime()}. */
        static final Duration DEFAULT_HAND_OFF_TIME = Duration.ofMillis(20);

        /** The largest hand-off count {@link #withHandOffAfter} takes. */
        static final int MAX_HAND_OFF_ACQUISITIONS = 1_000_000;

        /** The longest hand-off time {@link #withHandOffAfter} takes. */
        static final Duration MAX_HAND_OFF_TIME = Duration.ofSeconds(10);

        private static final Options DEFAULTS = new Options();

        private @Nullable String user;

        private @Nullable String password;

        private String schema = "interlock";

        private boolean schemaCreation = true;

        private Duration sessionTimeout = Duration.ofSeconds(8);

        private @Nullable Duration heartbeatInterval;

        private Duration connectTimeout = Duration.ofSeconds(10);

        private int maxWaitingSessions = 4;

        private boolean tokenAtAcquisition;

        private int handOffAcquisitions = DEFAULT_HAND_OFF_ACQUISITIONS;

        private Duration handOffTime = DEFAULT_HAND_OFF_TIME;

        private LockLostListener lockLostListener = LockLostListener.NONE;

        private SessionStateListener sessionStateListener = SessionStateListener.NONE;

        private Options() {}

        private Options copy() {
            Options copy = new Options();
            copy.user = user;
            copy.password = password;
            copy.schema = schema;
            copy.schemaCreation = schemaCreation;
            copy.sessionTimeout = sessionTimeout;
            copy.heartbeatInterval = heartbeatInterval;
            copy.connectTimeout = connectTimeout;
            copy.maxWaitingSessions = maxWaitingSessions;
            copy.tokenAtAcquisition = tokenAtAcquisition;
            copy.handOffAcquisitions = handOffAcquisitions;
            copy.handOffTime = handOffTime;
            copy.lockLostListener = lockLostListener;
            copy.sessionStateListener = sessionStateListener;
            return copy;
        }

        /**
         * Returns the defaults: credentials from the URL, schema {@code interlock} created on
         * first use, session timeout 8 s (so a lost holder learns it within 6.4 s and the server
         * frees its locks within 8 s), heartbeat every 2 s, connect timeout 10 s, up to 4 waiting
         * sessions, tokens drawn when first asked for, a lock handed to waiting managers after 200
         * consecutive acquisitions or 20 ms, no listeners.
         *
         * @return the default options
         */
        public static Options defaults() {
            return DEFAULTS;
        }

        /**
         * Returns a copy that logs in with this user and password instead of those in the URL.
         *
         * @param user the role to log in as
         * @param password its password, or {@code null} for none (trust or peer authentication)
         * @return the copy
         */
        public Options withCredentials(String user, @Nullable String password) {
            Options copy = copy();
            copy.user = Objects.requireNonNull(user, "user");
            copy.password = password;
            return copy;
        }

        /**
         * Returns a copy that keeps Interlock's tables in another schema. All lock spaces of one
         * database should share one schema, because advisory lock keys are per database and each
         * schema numbers its lock spaces from 1 (see {@code docs/postgresql.md}).
         *
         * @param schema a schema name, 1 to 63 characters
         * @return the copy
         */
        public Options withSchema(String schema) {
            Objects.requireNonNull(schema, "schema");
            if (schema.isEmpty() || schema.length() > 63 || schema.indexOf('\0') >= 0) {
                throw new IllegalArgumentException("A schema name must be 1 to 63 characters without NUL, but was '"
                        + schema + "'; use a short identifier such as interlock");
            }
            Options copy = copy();
            copy.schema = schema;
            return copy;
        }

        /**
         * Returns a copy that creates the schema when it is missing and upgrades one of an older
         * version in place ({@code true}, the default), or never touches it ({@code false}): then a
         * DBA runs {@value Sql#SCHEMA_RESOURCE} (or, for version 1, {@value Sql#UPGRADE_RESOURCE}),
         * and a missing or older schema is an error. Creating a lock space is a row, never DDL.
         *
         * @param create whether to create a missing schema
         * @return the copy
         */
        public Options withSchemaCreation(boolean create) {
            Options copy = copy();
            copy.schemaCreation = create;
            return copy;
        }

        /**
         * Returns a copy with another session timeout: the server ends a holder session it has
         * heard nothing from for this long ({@code idle_session_timeout}, TCP keepalives and
         * {@code tcp_user_timeout}, set per session), releasing its locks; the holder gives its
         * holds up after {@link #leaseTimeout()}, 80% of it. Shorter means a cut-off or frozen
         * holder's locks come back sooner, at the price of one heartbeat per quarter of it.
         *
         * @param timeout 1 s to 1 day
         * @return the copy
         */
        public Options withSessionTimeout(Duration timeout) {
            Objects.requireNonNull(timeout, "timeout");
            if (timeout.compareTo(Duration.ofSeconds(1)) < 0 || timeout.compareTo(Duration.ofDays(1)) > 0) {
                throw new IllegalArgumentException("The session timeout must be 1 s to 1 day, but was "
                        + timeout.toMillis() + " ms; the default is 8 s");
            }
            Options copy = copy();
            copy.sessionTimeout = timeout;
            if (heartbeatInterval != null && heartbeatInterval.multipliedBy(2).compareTo(copy.leaseTimeout()) > 0) {
                copy.heartbeatInterval = null;
            }
            return copy;
        }

        /**
         * Returns a copy with another heartbeat interval: how long the holder session may be idle
         * before it sends a heartbeat. The default is a quarter of the session timeout.
         *
         * @param interval positive, at most half the {@link #leaseTimeout() lease}
         * @return the copy
         */
        public Options withHeartbeatInterval(Duration interval) {
            Objects.requireNonNull(interval, "interval");
            if (interval.isNegative()
                    || interval.isZero()
                    || interval.multipliedBy(2).compareTo(leaseTimeout()) > 0) {
                throw new IllegalArgumentException("The heartbeat interval must be positive and at most half the"
                        + " lease of " + leaseTimeout().toMillis() + " ms, but was " + interval.toMillis()
                        + " ms; shorten it or lengthen the session timeout");
            }
            Options copy = copy();
            copy.heartbeatInterval = interval;
            return copy;
        }

        /**
         * Returns a copy with another connect timeout, for opening every session.
         *
         * @param timeout positive
         * @return the copy
         */
        public Options withConnectTimeout(Duration timeout) {
            Objects.requireNonNull(timeout, "timeout");
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException(
                        "The connect timeout must be positive, but was " + timeout.toMillis() + " ms");
            }
            Options copy = copy();
            copy.connectTimeout = timeout;
            return copy;
        }

        /**
         * Returns a copy with another bound on waiter sessions: how many threads of this manager
         * may wait on the server at once (for different locks; threads waiting for the same lock
         * queue inside the JVM). Further waiters queue inside the JVM for a session.
         *
         * @param sessions 1 to 64
         * @return the copy
         */
        public Options withMaxWaitingSessions(int sessions) {
            if (sessions < 1 || sessions > 64) {
                throw new IllegalArgumentException(
                        "The number of waiting sessions must be 1 to 64, but was " + sessions + "; the default is 4");
            }
            Options copy = copy();
            copy.maxWaitingSessions = sessions;
            return copy;
        }

        /**
         * Returns a copy that draws every hold's fencing token in the acquiring round trip
         * ({@code true}) instead of when it is first asked for ({@code false}, the default). Drawing
         * at acquisition saves a round trip for code that fences every hold, but makes every
         * acquisition pay for the sequence: a WAL flush every 32 draws, which on a server with
         * slow {@code fsync} dominates the cost of a lock (see {@code docs/postgresql.md}).
         *
         * @param atAcquisition whether to draw tokens at acquisition
         * @return the copy
         */
        public Options withTokenAtAcquisition(boolean atAcquisition) {
            Options copy = copy();
            copy.tokenAtAcquisition = atAcquisition;
            return copy;
        }

        /**
         * Returns a copy with another hand-off bound: how long a manager may keep taking a lock
         * again ahead of managers queued for it (in this or other processes) before it hands the
         * lock to the head of the queue. A <em>run</em> is a manager's consecutive acquisitions of
         * one lock, by any of its threads; it ends after {@code acquisitions} acquisitions, or once
         * {@code time} has passed since its first, whichever comes first. Then the manager's next
         * waiting acquisition queues behind whoever is queued, and its last release goes to the
         * head of the queue. A run that began at the head of the queue keeps the queue's key, so
         * that no other manager becomes head (nor is woken by its releases) before it ends.
         *
         * <p>A waiting manager therefore waits about (managers ahead of it in the queue) × ({@code
         * time} + one critical section + one hand-off) at most, unless a manager holds the lock
         * longer. Each hand-off leaves the lock free for a server wake-up and two round trips
         * (about 1 ms on loopback), which a run of {@code acquisitions} spreads over its
         * acquisitions: a longer run means more throughput on a contended lock and longer waits for
         * the others. {@code acquisitions} 1 hands off at every release when somebody is queued.
         * The default, 200 acquisitions or 20 ms, keeps the hand-offs to about 5 % of the time on
         * a lock taken every 100 µs (see {@code docs/postgresql.md}). {@code tryLock()} without a
         * timeout never waits, so it never yields to the queue.
         *
         * @param acquisitions 1 to 1,000,000
         * @param time 1 ms to 10 s
         * @return the copy
         */
        public Options withHandOffAfter(int acquisitions, Duration time) {
            Objects.requireNonNull(time, "time");
            if (acquisitions < 1 || acquisitions > MAX_HAND_OFF_ACQUISITIONS) {
                throw new IllegalArgumentException("The hand-off count must be 1 to " + MAX_HAND_OFF_ACQUISITIONS
                        + " acquisitions, but was " + acquisitions + "; the default is "
                        + DEFAULT_HAND_OFF_ACQUISITIONS + " (1 hands a lock off at every release when a manager"
                        + " waits for it)");
            }
            if (time.compareTo(Duration.ofMillis(1)) < 0 || time.compareTo(MAX_HAND_OFF_TIME) > 0) {
                throw new IllegalArgumentException("The hand-off time must be 1 ms to " + MAX_HAND_OFF_TIME.toSeconds()
                        + " s, but was " + time.toNanos() / 1e6 + " ms; the default is "
                        + DEFAULT_HAND_OFF_TIME.toMillis() + " ms, and a waiting manager may wait about this long"
                        + " for each manager ahead of it");
            }
            Options copy = copy();
            copy.handOffAcquisitions = acquisitions;
            copy.handOffTime = time;
            return copy;
        }

        /**
         * Returns a copy that tells {@code listener} of every lost hold, once.
         *
         * @param listener the listener
         * @return the copy
         */
        public Options withLockLostListener(LockLostListener listener) {
            Options copy = copy();
            copy.lockLostListener = Objects.requireNonNull(listener, "listener");
            return copy;
        }

        /**
         * Returns a copy that tells {@code listener} of every holder session state transition.
         *
         * @param listener the listener
         * @return the copy
         */
        public Options withSessionStateListener(SessionStateListener listener) {
            Options copy = copy();
            copy.sessionStateListener = Objects.requireNonNull(listener, "listener");
            return copy;
        }

        /**
         * Returns the user to log in as, if not the URL's.
         *
         * @return the user, or {@code null}
         */
        public @Nullable String user() {
            return user;
        }

        /**
         * Returns the password, if not the URL's.
         *
         * @return the password, or {@code null}
         */
        public @Nullable String password() {
            return password;
        }

        /**
         * Returns the schema of Interlock's tables.
         *
         * @return the schema name
         */
        public String schema() {
            return schema;
        }

        /**
         * Returns whether a missing schema is created and an older one upgraded.
         *
         * @return {@code true} by default
         */
        public boolean schemaCreation() {
            return schemaCreation;
        }

        /**
         * Returns the session timeout: the server ends a holder session silent for this long.
         *
         * @return the timeout
         */
        public Duration sessionTimeout() {
            return sessionTimeout;
        }

        /**
         * Returns the client-side lease: a holder whose session has not answered for this long
         * since the last answered statement was sent gives its holds up. 80% of the session timeout.
         *
         * @return the lease
         */
        public Duration leaseTimeout() {
            return sessionTimeout.minus(sessionTimeout.dividedBy(5));
        }

        /**
         * Returns the heartbeat interval.
         *
         * @return the interval, a quarter of the session timeout unless set
         */
        public Duration heartbeatInterval() {
            return heartbeatInterval != null ? heartbeatInterval : sessionTimeout.dividedBy(4);
        }

        /**
         * Returns the connect timeout.
         *
         * @return the timeout
         */
        public Duration connectTimeout() {
            return connectTimeout;
        }

        /**
         * Returns how many waiter sessions a manager opens at most.
         *
         * @return the bound
         */
        public int maxWaitingSessions() {
            return maxWaitingSessions;
        }

        /**
         * Returns whether fencing tokens are drawn at acquisition rather than on first request.
         *
         * @return {@code false} by default
         */
        public boolean tokenAtAcquisition() {
            return tokenAtAcquisition;
        }

        /**
         * Returns how many consecutive acquisitions of a lock a manager makes at most before it
         * hands the lock to a manager queued for it ({@link #withHandOffAfter}).
         *
         * @return 200 by default
         */
        public int handOffAcquisitions() {
            return handOffAcquisitions;
        }

        /**
         * Returns how long after the first of consecutive acquisitions of a lock a manager hands
         * the lock to a manager queued for it at the latest ({@link #withHandOffAfter}).
         *
         * @return 20 ms by default
         */
        public Duration handOffTime() {
            return handOffTime;
        }

        /**
         * Returns the listener told of lost holds.
         *
         * @return the listener
         */
        public LockLostListener lockLostListener() {
            return lockLostListener;
        }

        /**
         * Returns the listener told of session state transitions.
         *
         * @return the listener
         */
        public SessionStateListener sessionStateListener() {
            return sessionStateListener;
        }

        @Override
        public String toString() {
            return "Options[user=" + user + ", password=" + (password == null ? "none" : "***") + ", schema=" + schema
                    + ", schemaCreation=" + schemaCreation + ", sessionTimeout=" + sessionTimeout
                    + ", heartbeatInterval=" + heartbeatInterval() + ", connectTimeout=" + connectTimeout
                    + ", maxWaitingSessions=" + maxWaitingSessions + ", tokenAtAcquisition=" + tokenAtAcquisition
                    + ", handOffAcquisitions=" + handOffAcquisitions + ", handOffTime=" + handOffTime + "]";
        }
    }
}
