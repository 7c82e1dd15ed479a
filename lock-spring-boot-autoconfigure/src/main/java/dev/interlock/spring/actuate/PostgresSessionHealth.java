package dev.interlock.spring.actuate;

import dev.interlock.Manager;
import dev.interlock.postgresql.PostgresLockManager;
import dev.interlock.postgresql.SessionState;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;

/**
 * The part of the health check that reads a PostgreSQL manager's session state. A class of its
 * own so that the indicator loads without {@code lock-postgresql}: it is used only when that
 * module is present.
 *
 * @author Interlock team
 */
final class PostgresSessionHealth {

    /** The backend's manager class, whose presence decides whether this class may be used. */
    static final String MANAGER_CLASS = "dev.interlock.postgresql.PostgresLockManager";

    private PostgresSessionHealth() {}

    /**
     * Adds the session's details and returns the status they call for.
     *
     * @param manager the manager
     * @param builder the health being built
     * @return UP while the holder session answers; UNKNOWN while it is silent (its holds are still
     *     in force) or being opened again; DOWN once it was lost or the manager was closed; {@code
     *     null} for a manager of another backend
     */
    static @Nullable Status check(Manager manager, Health.Builder builder) {
        if (!(manager instanceof PostgresLockManager postgres)) {
            return null;
        }
        SessionState state = postgres.sessionState();
        builder.withDetail("session", state.name())
                .withDetail("lockSpace", postgres.lockSpace())
                .withDetail(
                        "sessionTimeout", postgres.options().sessionTimeout().toString());
        return switch (state) {
            case HEALTHY -> Status.UP;
            case SUSPECT, CONNECTING -> Status.UNKNOWN;
            case LOST, CLOSED -> Status.DOWN;
        };
    }
}
