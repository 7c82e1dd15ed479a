package dev.interlock.spring.autoconfigure;

import dev.interlock.spring.autoconfigure.PostgresStartupException.Target;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;

/**
 * Reports why the PostgreSQL backend could not start: the server cannot be reached, refuses the
 * login, the user may not create the backend's tables, or the lock space exists with another lock
 * count; each with the URL, user and lock space, and what to change. Ordered first, so that the
 * analyzers of the core's exceptions (written for the single-host backends) do not claim the
 * backend's exception inside.
 *
 * @author Interlock team
 */
@Order(Ordered.HIGHEST_PRECEDENCE)
final class PostgresStartupFailureAnalyzer extends AbstractFailureAnalyzer<PostgresStartupException> {

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, PostgresStartupException cause) {
        Target target = cause.target();
        String where = target.url() + " (from " + target.urlProperty() + ") as user '" + target.user() + "'";
        String backendSays = cause.getCause() != null ? cause.getCause().getMessage() : "";
        String credentials = "Set interlock.postgresql.username and interlock.postgresql.password (defaults:"
                + " spring.datasource.username and spring.datasource.password)";
        return switch (cause.failure()) {
            case UNREACHABLE, DATABASE_MISSING, REFUSED ->
                new FailureAnalysis(
                        "Interlock's postgresql backend cannot connect to " + where + ": " + backendSays,
                        (cause.failure() == PostgresStartupException.Failure.DATABASE_MISSING)
                                ? "Create the database, or point interlock.postgresql.url (default:"
                                        + " spring.datasource.url) at an existing one."
                                : "Check that PostgreSQL runs at that host and port and accepts connections from this"
                                        + " host, or point interlock.postgresql.url (default: spring.datasource.url) at"
                                        + " the right server; interlock.postgresql.connect-timeout sets how long to"
                                        + " wait.",
                        cause);
            case AUTHENTICATION_FAILED ->
                new FailureAnalysis(
                        "PostgreSQL at " + where + " refused the login of Interlock's postgresql backend: "
                                + backendSays,
                        credentials + " to a login that the server accepts, and check its pg_hba.conf.",
                        cause);
            case PRIVILEGE ->
                new FailureAnalysis(
                        "User '" + target.user() + "' may not create or use Interlock's tables in schema "
                                + target.schema() + " at " + where + ": " + backendSays,
                        "Grant the user CREATE on the database (GRANT CREATE ON DATABASE <database> TO "
                                + target.user() + ") so that the backend creates schema " + target.schema()
                                + " at the next start; or have a DBA run schema-postgresql.sql (for an existing"
                                + " schema of an older version, the upgrade script the message above names) from the"
                                + " lock-postgresql jar and grant " + target.user() + " USAGE on the schema, SELECT,"
                                + " INSERT, UPDATE, DELETE on its tables, USAGE, UPDATE on its sequences and EXECUTE on"
                                + " its function; or " + credentials + " to a user that has them.",
                        cause);
            case COUNT_MISMATCH ->
                new FailureAnalysis(
                        "The lock space '" + target.lockSpace() + "' at " + where + " exists with " + cause.actual()
                                + " locks, but interlock.postgresql.num-locks asks for " + cause.requested() + ".",
                        "Either set interlock.postgresql.num-locks to " + cause.actual()
                                + " to use the existing lock space, or renumber: stop every process that uses it,"
                                + " remove it with PostgresLockManager.drop(url, \"" + target.lockSpace()
                                + "\"), start again, and re-claim stored lock IDs with"
                                + " Manager.allocateAndRetrieveLock(id); or use another lock space"
                                + " (interlock.postgresql.lock-space).",
                        cause);
        };
    }
}
