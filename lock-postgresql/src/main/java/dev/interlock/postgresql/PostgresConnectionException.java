package dev.interlock.postgresql;

import dev.interlock.LockStorageException;
import org.jspecify.annotations.Nullable;

/**
 * Thrown when the PostgreSQL backend cannot open a session with its server: the server does not
 * answer, refuses the login, or the database does not exist. The {@link #reason()} tells these
 * apart without parsing the message, for example for a Spring Boot {@code FailureAnalyzer}.
 *
 * @author Interlock team
 * @since 0.2.0
 */
public class PostgresConnectionException extends LockStorageException {

    private static final long serialVersionUID = 1L;

    /**
     * Why a session could not be opened.
     *
     * @author Interlock team
     * @since 0.2.0
     */
    public enum Reason {

        /** Nothing answered at the host and port, or the answer did not come within the connect timeout. */
        UNREACHABLE,

        /** The server refused the user name or password (SQLSTATE class 28). */
        AUTHENTICATION_FAILED,

        /** The database named in the URL does not exist (SQLSTATE 3D000). */
        DATABASE_MISSING,

        /** Any other refusal, for example too many connections (SQLSTATE 53300). */
        REFUSED
    }

    /** Why the server could not be used. */
    private final Reason reason;

    /** The server's SQLSTATE, when it answered with one. */
    private final @Nullable String sqlState;

    /**
     * Creates the exception.
     *
     * @param url the JDBC URL without its password
     * @param reason why no session could be opened
     * @param sqlState the server's SQLSTATE, if it answered with one
     * @param message what happened, with the values, and what to do
     * @param cause the driver's exception
     */
    public PostgresConnectionException(
            String url, Reason reason, @Nullable String sqlState, String message, Throwable cause) {
        super(url, message, cause);
        this.reason = reason;
        this.sqlState = sqlState;
    }

    /**
     * Returns why no session could be opened.
     *
     * @return the reason
     */
    public Reason reason() {
        return reason;
    }

    /**
     * Returns the server's SQLSTATE, if it answered with one.
     *
     * @return the SQLSTATE, or {@code null} when the server did not answer
     */
    public @Nullable String sqlState() {
        return sqlState;
    }
}
