package dev.interlock.postgresql;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Every SQL statement of the backend, named after what it does, so that the whole protocol reads
 * in one file. Statements name the schema as {@code interlock}; {@link #forSchema} rewrites them
 * for another schema. Placeholders are JDBC {@code ?} parameters.
 *
 * @author Interlock team
 */
final class Sql {

    /** The schema version this code reads and writes (the row in {@code schema_version}). */
    static final int SCHEMA_VERSION = 2;

    /** The per-lock-space protocol version (column {@code lock_space.layout_version}). */
    static final int LAYOUT_VERSION = 1;

    /** The classpath resource with the DDL, which a DBA may run instead. */
    static final String SCHEMA_RESOURCE = "dev/interlock/postgresql/schema-postgresql.sql";

    /** The schema version that {@link #UPGRADE_RESOURCE} upgrades in place. */
    static final int UPGRADABLE_SCHEMA_VERSION = 1;

    /**
     * The classpath resource that upgrades a schema of version {@link #UPGRADABLE_SCHEMA_VERSION}
     * to {@link #SCHEMA_VERSION} in place, which a DBA may run instead.
     */
    static final String UPGRADE_RESOURCE = "dev/interlock/postgresql/schema-postgresql-upgrade-1-to-2.sql";

    private static final Pattern SCHEMA_NAME = Pattern.compile("\\binterlock\\b(?=\\.|;|$)", Pattern.MULTILINE);

    // --- Schema and lock spaces (run rarely, on the holder session) ---------------------------

    /** Reads the schema version; fails with 42P01/3F000 when the schema or table is missing. */
    static final String READ_SCHEMA_VERSION = "SELECT max(version) FROM interlock.schema_version";

    /** Reads a lock space: key, lock count, layout version. */
    static final String READ_LOCK_SPACE =
            "SELECT space_key, num_locks, layout_version FROM interlock.lock_space WHERE name = ?";

    /** Creates a lock space unless one with the name exists; returns its key when created. */
    static final String INSERT_LOCK_SPACE = "INSERT INTO interlock.lock_space (name, num_locks, layout_version)"
            + " VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING RETURNING space_key";

    /** Removes a lock space and, by cascade, its allocations and names. */
    static final String DELETE_LOCK_SPACE = "DELETE FROM interlock.lock_space WHERE name = ? RETURNING space_key";

    /** Whether the session's user may create objects in the database (to create the schema). */
    static final String CAN_CREATE_SCHEMA = "SELECT has_database_privilege(current_database(), 'CREATE')";

    // --- The lock path (holder session, one round trip each) -------------------------------

    /** Tries the advisory lock; true if granted. The whole uncontended acquisition, one round trip. */
    static final String TRY_LOCK = "SELECT pg_try_advisory_lock(?, ?)";

    /**
     * Draws a fencing token for a hold, on the holder session that holds the lock, the first time
     * the hold's token is asked for. Column 1 is the token.
     *
     * <p>Durability of the token across a server crash: {@code nextval} WAL-logs a sequence only
     * every 32 values (ahead), and the statement that logs assigns a transaction ID so that its
     * commit flushes the WAL (with {@code synchronous_commit} on, which every Interlock session
     * sets). A statement that draws one of the 31 values in between writes no WAL and would
     * commit without a flush, so it could hand out a value whose covering WAL record, written by
     * a concurrent session, is not flushed yet; after a crash that value would be handed out
     * again. Hence the second column: when the WAL is not flushed up to where it was inserted
     * after our {@code nextval}, it assigns a transaction ID, so that this commit flushes the WAL
     * (and with it the covering record) before the result reaches the client. On an idle server
     * that costs nothing; on a busy one at most a group-committed flush.
     */
    static final String DRAW_TOKEN = "SELECT t, CASE WHEN pg_current_wal_flush_lsn() < pg_current_wal_insert_lsn()"
            + " THEN pg_current_xact_id()::text END"
            + " FROM (SELECT nextval('interlock.fence') AS t OFFSET 0) s";

    /**
     * Tries the advisory lock and, only once it is granted, draws the fencing token in the same
     * autocommitted statement ({@link PostgresLockManager.Options#withTokenAtAcquisition}).
     * Column 1 is the token, or null when the lock is held elsewhere; the durability argument of
     * {@link #DRAW_TOKEN} applies.
     */
    static final String TRY_LOCK_WITH_TOKEN = "SELECT t, CASE WHEN t IS NOT NULL"
            + " AND pg_current_wal_flush_lsn() < pg_current_wal_insert_lsn() THEN pg_current_xact_id()::text END"
            + " FROM (SELECT CASE WHEN pg_try_advisory_lock(?, ?) THEN nextval('interlock.fence') END AS t"
            + " OFFSET 0) s";

    /**
     * The queue check: takes the lock only if no manager is queued for it, in one round trip
     * ({@link PostgresLockManager.Options#withHandOffAfter}). Tries the lock's queue key {@code
     * (space_key, -2 - id)} ({@link Waiters#queueKey}) in shared mode: the server refuses it while
     * a waiter session holds it (the head of the queue, or a manager in a handed-off run) and while
     * any waiter session is waiting for it (a shared request that conflicts with a waiting one is
     * not granted ahead of it). Only if it was granted, drops it and tries the lock. Nested {@code
     * CASE}s fix the order of evaluation, which {@code AND} does not. Parameters: space key, queue
     * key, space key, queue key, space key, lock ID. The result is {@code true} when the lock was
     * granted, {@code false} when it is held elsewhere and nobody is queued, {@code null} when
     * somebody is queued (the lock was not tried).
     */
    static final String TRY_LOCK_UNLESS_QUEUED = "SELECT " + unlessQueued("pg_try_advisory_lock(?, ?)");

    /**
     * {@link #TRY_LOCK_WITH_TOKEN} behind the queue check of {@link #TRY_LOCK_UNLESS_QUEUED}:
     * column 1 is the token, or null when the lock is held elsewhere or somebody is queued.
     * Parameters as for {@link #TRY_LOCK_UNLESS_QUEUED}.
     */
    static final String TRY_LOCK_WITH_TOKEN_UNLESS_QUEUED = "SELECT t, CASE WHEN t IS NOT NULL"
            + " AND pg_current_wal_flush_lsn() < pg_current_wal_insert_lsn() THEN pg_current_xact_id()::text END"
            + " FROM (SELECT CASE WHEN " + unlessQueued("pg_try_advisory_lock(?, ?)")
            + " THEN nextval('interlock.fence') END AS t OFFSET 0) s";

    /**
     * Drops a shared hold of a queue key that a failed {@link #TRY_LOCK_UNLESS_QUEUED} may have
     * left, and the lock it may have granted; false (with a server warning) for what was not held.
     */
    static final String UNLOCK_AFTER_FAILED_CHECK = "SELECT pg_advisory_unlock_shared(?, ?), pg_advisory_unlock(?, ?)";

    /** Releases the advisory lock; false (with a server warning) if this session did not hold it. */
    static final String UNLOCK = "SELECT pg_advisory_unlock(?, ?)";

    /** Releases an advisory lock that a failed {@link #TRY_LOCK} may have left granted. */
    static final String UNLOCK_AFTER_FAILURE = UNLOCK;

    /** A round trip that proves the session is alive and renews the client-side lease. */
    static final String HEARTBEAT = "SELECT 1";

    /**
     * A waiter session's first wait for a lock, in one round trip. Target-list items are evaluated
     * in order. It sets the server-side bound of the wait (in milliseconds, 0 for none), then
     * takes the lock's queue key {@code (space_key, -2 - id)} ({@link Waiters#queueKey})
     * exclusively: the server grants waiting exclusive requests one at a time in the order they
     * came, so only the head of the queue, one waiter per lock across every process, goes on. It
     * sets the bound again to what is left of it ({@code lock_timeout} bounds each lock wait, not
     * the statement), arms {@code idle_session_timeout} (the session timeout, in milliseconds) so
     * that a frozen client cannot keep the queue key for good, then waits in shared mode, which the
     * server grants only once no session holds the lock exclusively (the holder released it or its
     * session ended), and releases the shared lock at once. The holder session then tries again
     * with {@link #TRY_LOCK}; the waiter session keeps the queue key until that succeeded or the
     * wait ended ({@link #LEAVE_QUEUE}, {@link #RELEASE_ALL}).
     */
    static final String AWAIT_TURN = "SELECT set_config('lock_timeout', ?, false), pg_advisory_lock(?, ?),"
            + " set_config('lock_timeout', CASE WHEN ?::bigint = 0 THEN '0' ELSE greatest(1, ?::bigint"
            + " - (extract(epoch FROM clock_timestamp() - statement_timestamp()) * 1000)::bigint) || 'ms' END, false),"
            + " set_config('idle_session_timeout', ?, false),"
            + " pg_advisory_lock_shared(?, ?), pg_advisory_unlock_shared(?, ?)";

    /**
     * A waiter session's wait for a lock when it holds the lock's queue key already (another
     * manager took the lock between the release and our holder session's try): sets the
     * server-side bound of the wait, waits in shared mode until nobody holds the lock exclusively,
     * and releases the shared lock.
     */
    static final String AWAIT_RELEASE = "SELECT set_config('lock_timeout', ?, false),"
            + " pg_advisory_lock_shared(?, ?), pg_advisory_unlock_shared(?, ?)";

    /**
     * Gives up a lock's queue key ({@link #AWAIT_TURN}) once the holder session has the lock and
     * the run that this acquisition began has ended ({@link PostgresLockManager.Options#withHandOffAfter}).
     */
    static final String LEAVE_QUEUE = "SELECT pg_advisory_unlock(?, ?), set_config('idle_session_timeout', '0', false)";

    /**
     * Drops every advisory lock of a waiter session, the queue key included, after a wait that
     * ended by an error, and disarms the idle bound of {@link #AWAIT_TURN}.
     */
    static final String RELEASE_ALL = "SELECT pg_advisory_unlock_all(), set_config('idle_session_timeout', '0', false)";

    // --- Allocation and names (holder session) ---------------------------------------------

    /** See the function in the schema script: returns the ID, or -1/-2/-3. */
    static final String ALLOCATE = "SELECT interlock.allocate(?, ?, ?, ?)";

    /** Looks up a bound name without writing. */
    static final String FIND_NAME = "SELECT lock_id FROM interlock.allocation WHERE space_key = ? AND name = ?";

    /** Frees one ID and its name; no row means it was not allocated. */
    static final String FREE = "DELETE FROM interlock.allocation WHERE space_key = ? AND lock_id = ?";

    /** Frees every ID of a lock space. */
    static final String FREE_ALL = "DELETE FROM interlock.allocation WHERE space_key = ?";

    /** Counts the allocated IDs of a lock space. */
    static final String COUNT_ALLOCATED = "SELECT count(*) FROM interlock.allocation WHERE space_key = ?";

    /** Lists the bound names of a lock space. */
    static final String READ_NAMES =
            "SELECT name, lock_id FROM interlock.allocation WHERE space_key = ? AND name IS NOT NULL";

    /**
     * Lists the held locks of a lock space from the server's lock table, with whether the session
     * running the query holds it (so that a query repeated on a new holder session still tells its
     * own holds), the holder's session (its application_name carries the holder's host and pid)
     * and the bound name. Reads {@code pg_locks}, which takes no lock that a lock or unlock waits
     * for.
     */
    static final String READ_HELD = "SELECT l.objid::bigint AS lock_id, l.pid = pg_backend_pid(),"
            + " a.application_name, host(a.client_addr), n.name"
            + " FROM pg_locks l"
            + " LEFT JOIN pg_stat_activity a ON a.pid = l.pid"
            + " LEFT JOIN interlock.allocation n ON n.space_key = ? AND n.lock_id = l.objid::bigint"
            + " WHERE l.locktype = 'advisory' AND l.database = (SELECT oid FROM pg_database"
            + " WHERE datname = current_database()) AND l.classid = ?::bigint::oid AND l.objsubid = 2"
            + " AND l.mode = 'ExclusiveLock' AND l.granted AND l.objid::bigint < ?"
            + " ORDER BY 1";

    /** The holder session's server process ID, for messages and the session state listener. */
    static final String BACKEND_PID = "SELECT pg_backend_pid(), current_setting('server_version_num')::int";

    private Sql() {}

    /** {@code tryLock} (an expression with two parameters) behind the queue check. */
    private static String unlessQueued(String tryLock) {
        return "CASE WHEN pg_try_advisory_lock_shared(?, ?) THEN CASE WHEN pg_advisory_unlock_shared(?, ?) THEN "
                + tryLock + " END END";
    }

    /**
     * Rewrites a statement or script for another schema name.
     *
     * @param sql text that names the schema {@code interlock}
     * @param schema the schema to use
     * @return the text naming {@code schema}, quoted as an identifier
     */
    static String forSchema(String sql, String schema) {
        if (schema.equals("interlock")) {
            return sql;
        }
        return SCHEMA_NAME.matcher(sql).replaceAll(Matcher.quoteReplacement(quoteIdentifier(schema)));
    }

    /** Quotes an identifier the way PostgreSQL's quote_ident does, always. */
    static String quoteIdentifier(String identifier) {
        return '"' + identifier.replace("\"", "\"\"") + '"';
    }

    /**
     * Returns a DDL script of the classpath, {@link #SCHEMA_RESOURCE} or {@link #UPGRADE_RESOURCE},
     * for {@code schema}.
     *
     * @param resource the script's classpath resource
     * @param schema the schema to create or upgrade
     * @return the script, to be run as one multi-statement string inside one transaction
     */
    static String script(String resource, String schema) {
        try (InputStream in = Sql.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("The resource " + resource
                        + " is missing from the classpath: the lock-postgresql jar is incomplete; rebuild it");
            }
            return forSchema(new String(in.readAllBytes(), StandardCharsets.UTF_8), schema);
        } catch (IOException ex) {
            throw new UncheckedIOException("Cannot read " + resource, ex);
        }
    }
}
