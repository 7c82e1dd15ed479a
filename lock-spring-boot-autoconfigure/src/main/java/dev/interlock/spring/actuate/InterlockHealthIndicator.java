package dev.interlock.spring.actuate;

import dev.interlock.Manager;
import java.util.Objects;
import java.util.OptionalInt;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;
import org.springframework.util.ClassUtils;

/**
 * {@link org.springframework.boot.health.contributor.HealthIndicator HealthIndicator} {@code
 * interlock}: UP with the lock figures while the manager works and enough locks are free to
 * allocate; DOWN when the manager cannot be used (closed, storage gone) or fewer locks than the
 * threshold ({@code management.health.interlock.min-available}) are free, so the shortage shows before
 * allocation starts failing. Backends without a lock limit are never DOWN for lack of locks.
 *
 * <p>For the PostgreSQL backend it also reports the holder session's state ({@code session},
 * {@code lockSpace}, {@code sessionTimeout}): UP while the session answers, UNKNOWN while it has
 * been silent for more than two heartbeats (its holds are still in force) or is being opened
 * again, DOWN once it was lost (its holds were reported lost) or the manager was closed. The lock
 * figures are read only while the session is up, since reading them would wait for a new session.
 *
 * @author Interlock team
 * @since 0.1.0
 */
public class InterlockHealthIndicator extends AbstractHealthIndicator {

    private static final Logger logger = LoggerFactory.getLogger(InterlockHealthIndicator.class);

    /** Whether lock-postgresql is present, so that a PostgreSQL manager's session state can be read. */
    private static final boolean POSTGRES_PRESENT =
            ClassUtils.isPresent(PostgresSessionHealth.MANAGER_CLASS, InterlockHealthIndicator.class.getClassLoader());

    private final Manager manager;

    private final String backend;

    private final int minAvailable;

    /**
     * Creates the indicator.
     *
     * @param manager the manager to check
     * @param backend the backend's name, reported as a detail
     * @param minAvailable fewest free locks for UP
     */
    public InterlockHealthIndicator(Manager manager, String backend, int minAvailable) {
        super("Interlock lock manager health check failed");
        this.manager = Objects.requireNonNull(manager, "manager");
        this.backend = Objects.requireNonNull(backend, "backend");
        this.minAvailable = minAvailable;
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        builder.withDetail("backend", backend);
        Status session = POSTGRES_PRESENT ? PostgresSessionHealth.check(manager, builder) : null;
        if (session != null && !Status.UP.equals(session)) {
            if (Status.DOWN.equals(session)) {
                logger.warn("The Interlock PostgreSQL session is down: {}; its holds were reported lost", manager);
            }
            builder.status(session);
            return;
        }
        OptionalInt available = manager.availableLocks();
        int allocated = manager.allocatedLocks();
        int held = manager.locksHeld().size();
        builder.withDetail("allocated", allocated).withDetail("held", held);
        if (available.isEmpty()) {
            builder.up();
            return;
        }
        int free = available.getAsInt();
        builder.withDetail("capacity", allocated + free)
                .withDetail("available", free)
                .withDetail("minAvailable", minAvailable);
        if (free < minAvailable) {
            logger.warn(
                    "Only {} of {} Interlock locks are free to allocate, fewer than management.health.interlock.min-available"
                            + " ({}): free locks that are no longer needed, or raise the lock count",
                    free,
                    allocated + free,
                    minAvailable);
            builder.down();
        } else {
            builder.up();
        }
    }
}
