package dev.interlock.spring.autoconfigure;

import dev.interlock.LockCountMismatchException;
import dev.interlock.LockLostListener;
import dev.interlock.LockStorageAccessException;
import dev.interlock.Manager;
import dev.interlock.postgresql.PostgresConnectionException;
import dev.interlock.postgresql.PostgresLockManager;
import dev.interlock.spring.autoconfigure.PostgresStartupException.Failure;
import dev.interlock.spring.autoconfigure.PostgresStartupException.Target;
import java.time.Duration;
import java.util.function.BiFunction;
import org.jspecify.annotations.Nullable;
import org.springframework.core.env.Environment;

/**
 * Opens the PostgreSQL backend from {@code interlock.postgresql.*}, falling back on {@code
 * spring.datasource.*} and {@code spring.application.name}. Loaded only when {@code
 * lock-postgresql} is on the classpath, and the only class of the starter besides the health
 * check that names its types. The backend opens its own connections with these settings; it never
 * touches the application's {@code DataSource}.
 *
 * @author Interlock team
 */
final class PostgresBackend {

    /** The backend's manager class, whose presence decides whether the backend can be used. */
    static final String MANAGER_CLASS = "dev.interlock.postgresql.PostgresLockManager";

    private static final String URL = "interlock.postgresql.url";

    private static final String DATASOURCE_URL = "spring.datasource.url";

    private PostgresBackend() {}

    /**
     * Opens the lock space, creating it (and the schema) when missing.
     *
     * @param settings the {@code interlock.postgresql.*} settings
     * @param environment for the {@code spring.*} fallbacks
     * @param lostLocks told about every lost hold, or {@code null}
     * @return the manager
     * @throws InvalidInterlockPropertyException if a setting is missing or out of range
     * @throws PostgresStartupException if the server cannot be used with these settings
     */
    static PostgresLockManager open(
            InterlockProperties.Postgresql settings, Environment environment, @Nullable LockLostListener lostLocks) {
        String urlProperty = (settings.getUrl() != null) ? URL : DATASOURCE_URL;
        String url = orProperty(settings.getUrl(), environment, DATASOURCE_URL);
        if (url == null) {
            throw new InvalidInterlockPropertyException(
                    URL,
                    "",
                    "the postgresql backend needs the JDBC URL of its database, and neither " + URL + " nor "
                            + DATASOURCE_URL + " is set.",
                    "Set " + URL + " to a URL such as jdbc:postgresql://db:5432/app; the backend opens connections"
                            + " of its own there.");
        }
        if (!url.startsWith("jdbc:postgresql:")) {
            throw new InvalidInterlockPropertyException(
                    urlProperty,
                    redacted(url),
                    "the postgresql backend needs a jdbc:postgresql: URL.",
                    "Set " + URL + " to the URL of a PostgreSQL database, such as jdbc:postgresql://db:5432/app.");
        }
        String user = orProperty(settings.getUsername(), environment, "spring.datasource.username");
        String password = orProperty(settings.getPassword(), environment, "spring.datasource.password");
        String lockSpace = orProperty(settings.getLockSpace(), environment, "spring.application.name");
        if (lockSpace == null) {
            throw new InvalidInterlockPropertyException(
                    "interlock.postgresql.lock-space",
                    "",
                    "the postgresql backend needs the name of its lock space, and neither"
                            + " interlock.postgresql.lock-space nor spring.application.name is set.",
                    "Set interlock.postgresql.lock-space to a name that every instance of this application shares,"
                            + " such as orders, or set spring.application.name.");
        }
        PostgresLockManager.Options options = options(settings, user, password, lostLocks);
        int numLocks = settings.getNumLocks();
        Target target = new Target(
                redacted(url), urlProperty, (user != null) ? user : userInUrl(url), lockSpace, options.schema());
        try {
            // Every option was checked above, so an IllegalArgumentException here is about the name.
            return InterlockBackendConfigurations.checked(
                    "interlock.postgresql.lock-space",
                    lockSpace,
                    "Set interlock.postgresql.lock-space to a name of 1 to 255 characters, such as the"
                            + " application's name.",
                    () -> PostgresLockManager.openOrCreate(url, lockSpace, numLocks, options));
        } catch (PostgresConnectionException ex) {
            throw new PostgresStartupException(failureOf(ex.reason()), target, numLocks, 0, ex);
        } catch (LockCountMismatchException ex) {
            throw new PostgresStartupException(Failure.COUNT_MISMATCH, target, ex.requested(), ex.actual(), ex);
        } catch (LockStorageAccessException ex) {
            throw new PostgresStartupException(Failure.PRIVILEGE, target, numLocks, 0, ex);
        }
    }

    /**
     * Returns whether {@code manager} is a PostgreSQL manager; call only when {@link
     * #MANAGER_CLASS} is present.
     *
     * @param manager the manager
     * @return whether it is one
     */
    static boolean isPostgres(Manager manager) {
        return manager instanceof PostgresLockManager;
    }

    private static Failure failureOf(PostgresConnectionException.Reason reason) {
        return switch (reason) {
            case UNREACHABLE -> Failure.UNREACHABLE;
            case AUTHENTICATION_FAILED -> Failure.AUTHENTICATION_FAILED;
            case DATABASE_MISSING -> Failure.DATABASE_MISSING;
            case REFUSED -> Failure.REFUSED;
        };
    }

    private static PostgresLockManager.Options options(
            InterlockProperties.Postgresql settings,
            @Nullable String user,
            @Nullable String password,
            @Nullable LockLostListener lostLocks) {
        PostgresLockManager.Options options = PostgresLockManager.Options.defaults();
        if (user != null) {
            options = options.withCredentials(user, password);
        }
        if (lostLocks != null) {
            options = options.withLockLostListener(lostLocks);
        }
        options = option(
                options,
                "schema",
                settings.getSchema(),
                "a name of 1 to 63 characters",
                PostgresLockManager.Options::withSchema);
        options = option(
                options,
                "session-timeout",
                settings.getSessionTimeout(),
                "a duration from 1s to 1d, such as 8s",
                PostgresLockManager.Options::withSessionTimeout);
        options = option(
                options,
                "heartbeat-interval",
                settings.getHeartbeatInterval(),
                "a positive duration of at most 0.4 of the session timeout, such as 2s",
                PostgresLockManager.Options::withHeartbeatInterval);
        options = option(
                options,
                "connect-timeout",
                settings.getConnectTimeout(),
                "a positive duration, such as 10s",
                PostgresLockManager.Options::withConnectTimeout);
        options = option(
                options,
                "max-waiting-sessions",
                settings.getMaxWaitingSessions(),
                "a count of 1 or more, such as 4",
                PostgresLockManager.Options::withMaxWaitingSessions);
        options = option(
                options,
                "hand-off-acquisitions",
                settings.getHandOffAcquisitions(),
                "a count from 1 to 1000000, such as 200",
                (o, acquisitions) -> o.withHandOffAfter(acquisitions, o.handOffTime()));
        return option(
                options,
                "hand-off-time",
                settings.getHandOffTime(),
                "a duration from 1ms to 10s, such as 20ms",
                (o, time) -> o.withHandOffAfter(o.handOffAcquisitions(), time));
    }

    /** Applies one optional setting, reporting a value the backend rejects as an invalid property. */
    private static <V> PostgresLockManager.Options option(
            PostgresLockManager.Options options,
            String name,
            @Nullable V value,
            String expected,
            BiFunction<PostgresLockManager.Options, V, PostgresLockManager.Options> with) {
        if (value == null) {
            return options;
        }
        String property = "interlock.postgresql." + name;
        return InterlockBackendConfigurations.checked(
                property,
                (value instanceof Duration duration) ? duration.toString() : value.toString(),
                "Set " + property + " to " + expected + ", or remove it to use the backend's default.",
                () -> with.apply(options, value));
    }

    private static @Nullable String orProperty(@Nullable String value, Environment environment, String property) {
        return (value != null && !value.isBlank()) ? value : environment.getProperty(property);
    }

    /** The URL as it may be shown: without the value of a password parameter. */
    static String redacted(String url) {
        return url.replaceAll("(?i)([?&;]password=)[^&;]*", "$1****");
    }

    /** The user named in the URL, or the OS user, whom the driver logs in as by default. */
    private static String userInUrl(String url) {
        int query = url.indexOf('?');
        if (query >= 0) {
            for (String parameter : url.substring(query + 1).split("&")) {
                if (parameter.startsWith("user=")) {
                    return parameter.substring("user=".length());
                }
            }
        }
        return System.getProperty("user.name", "");
    }
}
