package dev.interlock.spring.autoconfigure;

import java.io.Serializable;

/**
 * Thrown when the PostgreSQL backend cannot start with the application's settings: the server
 * cannot be reached or refuses the login, the user may not create the backend's tables, or the
 * lock space exists with another lock count. It names no type of {@code lock-postgresql}, so that
 * its analyzer loads without it. It carries the settings that {@link
 * PostgresStartupFailureAnalyzer} names in the startup failure report; the backend's own
 * exception is the cause.
 *
 * @author Interlock team
 */
final class PostgresStartupException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    /** What failed. */
    private final Failure failure;

    /** Where and as whom the backend tried. */
    private final Target target;

    /** The lock count asked for. */
    private final int requested;

    /** The lock count the lock space has, for {@link Failure#COUNT_MISMATCH}; 0 otherwise. */
    private final int actual;

    /**
     * Creates the exception.
     *
     * @param failure what failed
     * @param target where and as whom
     * @param requested the lock count asked for
     * @param actual the lock space's count, or 0
     * @param cause the backend's exception
     */
    PostgresStartupException(Failure failure, Target target, int requested, int actual, RuntimeException cause) {
        super(
                "The postgresql backend cannot start (" + failure + ") at " + target.url() + " as user '"
                        + target.user() + "', lock space '" + target.lockSpace() + "': " + cause.getMessage(),
                cause);
        this.failure = failure;
        this.target = target;
        this.requested = requested;
        this.actual = actual;
    }

    Failure failure() {
        return failure;
    }

    Target target() {
        return target;
    }

    int requested() {
        return requested;
    }

    int actual() {
        return actual;
    }

    /**
     * What failed.
     *
     * @author Interlock team
     */
    enum Failure {
        /** Nothing answered at the URL's host and port in time. */
        UNREACHABLE,
        /** The server refused the user or password. */
        AUTHENTICATION_FAILED,
        /** The database named in the URL does not exist. */
        DATABASE_MISSING,
        /** The server refused the session for another reason, such as too many connections. */
        REFUSED,
        /** The user lacks a privilege the backend needs, such as CREATE for its schema. */
        PRIVILEGE,
        /** The lock space exists with another lock count. */
        COUNT_MISMATCH
    }

    /**
     * Where and as whom the backend tried to start.
     *
     * @param url the JDBC URL, without a password
     * @param urlProperty the property the URL came from
     * @param user the login user
     * @param lockSpace the lock space
     * @param schema the schema of the backend's tables
     */
    record Target(String url, String urlProperty, String user, String lockSpace, String schema)
            implements Serializable {}
}
