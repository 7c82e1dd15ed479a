package dev.interlock.spring.actuate;

import dev.interlock.HeldLock;
import dev.interlock.Manager;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.OptionalInt;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.actuate.endpoint.InvalidEndpointRequestException;
import org.springframework.boot.actuate.endpoint.OperationResponseBody;
import org.springframework.boot.actuate.endpoint.annotation.DeleteOperation;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.annotation.Selector;

/**
 * {@link Endpoint @Endpoint} {@code locks}: who holds which Interlock lock, and how many are
 * allocated and free.
 *
 * <ul>
 *   <li>{@code GET /actuator/locks}: backend, capacity, allocated, available and every held lock
 *       with its name, owner pid, since when and for how long it is held.
 *   <li>{@code GET /actuator/locks/{lock}}: one lock, by ID or by name. A lock ID is always found;
 *       a name is found only while its lock is held, because looking a name up any other way
 *       would allocate it.
 *   <li>{@code DELETE /actuator/locks}: {@link Manager#freeAllLocks()}, refused unless {@code
 *       interlock.endpoint.free-all.enabled=true}. Dangerous: afterwards the allocation state
 *       disagrees with every lock ID that callers have stored, until they are all renumbered.
 * </ul>
 *
 * <p>Reading takes no lock. Like every actuator endpoint it is exposed over HTTP only when the
 * application opts in ({@code management.endpoints.web.exposure.include=locks}); secure it as
 * other actuator endpoints, for example with Spring Security on {@code EndpointRequest.to("locks")}.
 *
 * @author Interlock team
 * @since 0.1.0
 */
@Endpoint(id = "locks")
public class LocksEndpoint {

    static final String FREE_ALL_PROPERTY = "interlock.endpoint.free-all.enabled";

    private final Manager manager;

    private final String backend;

    private final boolean freeAllEnabled;

    private final Clock clock;

    /**
     * Creates the endpoint.
     *
     * @param manager the manager to report on
     * @param backend the backend's name, as reported
     * @param freeAllEnabled whether the delete operation may free every lock
     */
    public LocksEndpoint(Manager manager, String backend, boolean freeAllEnabled) {
        this(manager, backend, freeAllEnabled, Clock.systemUTC());
    }

    LocksEndpoint(Manager manager, String backend, boolean freeAllEnabled, Clock clock) {
        this.manager = Objects.requireNonNull(manager, "manager");
        this.backend = Objects.requireNonNull(backend, "backend");
        this.freeAllEnabled = freeAllEnabled;
        this.clock = clock;
    }

    /**
     * Reports the manager's capacity and every held lock.
     *
     * @return the report
     */
    @ReadOperation
    public LocksDescriptor locks() {
        OptionalInt available = manager.availableLocks();
        int allocated = manager.allocatedLocks();
        Instant now = clock.instant();
        List<LockDescriptor> held =
                manager.locksHeld().stream().map(lock -> describe(lock, now)).toList();
        return new LocksDescriptor(
                backend,
                available.isPresent() ? allocated + available.getAsInt() : null,
                allocated,
                available.isPresent() ? available.getAsInt() : null,
                held);
    }

    /**
     * Reports one lock, chosen by ID (digits) or by name.
     *
     * @param lock the lock's ID or name
     * @return the lock, or {@code null} (404 over HTTP) for an ID beyond the capacity or a name
     *     whose lock is not held
     */
    @ReadOperation
    public @Nullable LockDescriptor lock(@Selector String lock) {
        Instant now = clock.instant();
        List<HeldLock> held = manager.locksHeld();
        if (!lock.isEmpty() && lock.chars().allMatch(Character::isDigit)) {
            int id;
            try {
                id = Integer.parseInt(lock);
            } catch (NumberFormatException ex) {
                return null;
            }
            OptionalInt available = manager.availableLocks();
            if (available.isPresent() && id >= manager.allocatedLocks() + available.getAsInt()) {
                return null;
            }
            return held.stream()
                    .filter(h -> h.id() == id)
                    .findFirst()
                    .map(h -> describe(h, now))
                    .orElseGet(() -> new LockDescriptor(id, null, false, null, null, null));
        }
        return held.stream()
                .filter(h -> h.name().filter(lock::equals).isPresent())
                .findFirst()
                .map(h -> describe(h, now))
                .orElse(null);
    }

    /**
     * Frees every allocated lock with {@link Manager#freeAllLocks()}, if {@value
     * #FREE_ALL_PROPERTY} is {@code true}.
     *
     * @return how many locks were allocated before
     * @throws FreeAllLocksRefusedException if freeing all locks is not enabled
     */
    @DeleteOperation
    public FreedLocksDescriptor freeAllLocks() {
        if (!freeAllEnabled) {
            throw new FreeAllLocksRefusedException();
        }
        int allocated = manager.allocatedLocks();
        manager.freeAllLocks();
        return new FreedLocksDescriptor(allocated);
    }

    private LockDescriptor describe(HeldLock lock, Instant now) {
        Instant since = lock.heldSince().orElse(null);
        return new LockDescriptor(
                lock.id(),
                lock.name().orElse(null),
                true,
                lock.ownerPid().isPresent() ? lock.ownerPid().getAsLong() : null,
                since != null ? since.toString() : null,
                since != null ? Duration.between(since, now).toMillis() : null);
    }

    /**
     * The manager's capacity and held locks.
     *
     * @param backend the backend's name
     * @param capacity how many lock IDs exist, or {@code null} when unbounded
     * @param allocated how many IDs are allocated
     * @param available how many IDs are free to allocate, or {@code null} when unbounded
     * @param held the locks held right now, by ID
     */
    public record LocksDescriptor(
            String backend,
            @Nullable Integer capacity,
            int allocated,
            @Nullable Integer available,
            List<LockDescriptor> held)
            implements OperationResponseBody {}

    /**
     * One lock.
     *
     * @param id the lock's ID
     * @param name the name bound to it, when known
     * @param held whether some process holds it
     * @param ownerPid the holder's process ID, when held and recorded
     * @param heldSince when the holder acquired it (ISO-8601), when held and recorded
     * @param heldForMillis how long it has been held, in milliseconds, when held and recorded
     */
    public record LockDescriptor(
            int id,
            @Nullable String name,
            boolean held,
            @Nullable Long ownerPid,
            @Nullable String heldSince,
            @Nullable Long heldForMillis)
            implements OperationResponseBody {}

    /**
     * The result of freeing every lock.
     *
     * @param freed how many locks were allocated before they were all freed
     */
    public record FreedLocksDescriptor(int freed) implements OperationResponseBody {}

    /**
     * Thrown when the delete operation is called without {@value #FREE_ALL_PROPERTY}.
     *
     * @author Interlock team
     * @since 0.1.0
     */
    public static final class FreeAllLocksRefusedException extends InvalidEndpointRequestException {

        private static final long serialVersionUID = 1L;

        static final String MESSAGE = "Freeing all locks is disabled: it makes the allocation state disagree with"
                + " every lock ID that callers have stored until they are all renumbered. Set "
                + FREE_ALL_PROPERTY + "=true to allow it, only during a renumbering with no other process active.";

        FreeAllLocksRefusedException() {
            super(MESSAGE, MESSAGE);
        }
    }
}
