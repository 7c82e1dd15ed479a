package dev.interlock.spring.actuate;

import dev.interlock.HeldLock;
import dev.interlock.Manager;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.SortedMap;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.actuate.endpoint.Access;
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
 *   <li>{@code GET /actuator/locks}: backend, capacity, allocated, available, every held lock
 *       with its name, owner pid, since when and for how long it is held, and every named lock
 *       ({@code names}: name to ID, sorted by name, held or not).
 *   <li>{@code GET /actuator/locks/{lock}}: one lock, by ID or by name, held or not. A selector
 *       of digits only is an ID, so a name such as {@code 42} can only be found in {@code names}.
 *       Looking a name up never allocates it: names are read with {@link Manager#lockNames()}.
 *   <li>{@code DELETE /actuator/locks}: {@link Manager#freeAllLocks()}. The endpoint's default
 *       access is {@link Access#READ_ONLY}, so this operation exists only with {@code
 *       management.endpoint.locks.access=unrestricted}, as Boot does for {@code shutdown} and
 *       {@code heapdump}. Dangerous: afterwards the allocation state disagrees with every lock ID
 *       that callers have stored, until they are all renumbered.
 * </ul>
 *
 * <p>Reading allocates nothing and takes no lock (except the shared lock the file backend may take
 * to re-read its name log, see {@link Manager#lockNames()}). With a {@link Manager} that cannot
 * list its names, {@code names} is {@code null} and a name is found only while its lock is held.
 * Like every actuator endpoint it is exposed over HTTP only when the
 * application opts in ({@code management.endpoints.web.exposure.include=locks}); secure it as
 * other actuator endpoints, for example with Spring Security on {@code EndpointRequest.to("locks")}.
 *
 * @author Interlock team
 * @since 0.1.0
 */
@Endpoint(id = "locks", defaultAccess = Access.READ_ONLY)
public class LocksEndpoint {

    private final Manager manager;

    private final String backend;

    private final Clock clock;

    /**
     * Creates the endpoint.
     *
     * @param manager the manager to report on
     * @param backend the backend's name, as reported
     */
    public LocksEndpoint(Manager manager, String backend) {
        this(manager, backend, Clock.systemUTC());
    }

    LocksEndpoint(Manager manager, String backend, Clock clock) {
        this.manager = Objects.requireNonNull(manager, "manager");
        this.backend = Objects.requireNonNull(backend, "backend");
        this.clock = clock;
    }

    /**
     * Reports the manager's capacity, every held lock and every named lock.
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
                held,
                namesIfListed());
    }

    /**
     * Reports one lock, chosen by ID (digits) or by name, whether it is held or not.
     *
     * @param lock the lock's ID or name
     * @return the lock, or {@code null} (404 over HTTP) for an ID beyond the capacity or a name
     *     that is not bound
     */
    @ReadOperation
    public @Nullable LockDescriptor lock(@Selector String lock) {
        Instant now = clock.instant();
        List<HeldLock> held = manager.locksHeld();
        @Nullable SortedMap<String, Integer> names = namesIfListed();
        Integer id = isId(lock) ? idWithinCapacity(lock) : idOfName(lock, names, held);
        if (id == null) {
            return null;
        }
        return held.stream()
                .filter(h -> h.id() == id)
                .findFirst()
                .map(h -> describe(h, now))
                .orElseGet(() -> new LockDescriptor(id, nameOf(id, names), false, null, null, null, null, null));
    }

    private static boolean isId(String lock) {
        return !lock.isEmpty() && lock.chars().allMatch(Character::isDigit);
    }

    private @Nullable Integer idWithinCapacity(String digits) {
        int id;
        try {
            id = Integer.parseInt(digits);
        } catch (NumberFormatException ex) {
            return null;
        }
        OptionalInt available = manager.availableLocks();
        return available.isPresent() && id >= manager.allocatedLocks() + available.getAsInt() ? null : id;
    }

    /** The ID bound to {@code name}; without a list of names, only a held lock's name is known. */
    private static @Nullable Integer idOfName(
            String name, @Nullable SortedMap<String, Integer> names, List<HeldLock> held) {
        if (names != null) {
            return names.get(name);
        }
        return held.stream()
                .filter(h -> h.name().filter(name::equals).isPresent())
                .findFirst()
                .map(HeldLock::id)
                .orElse(null);
    }

    private static @Nullable String nameOf(int id, @Nullable SortedMap<String, Integer> names) {
        if (names == null) {
            return null;
        }
        return names.entrySet().stream()
                .filter(binding -> binding.getValue() == id)
                .map(Map.Entry::getKey)
                .findFirst()
                .orElse(null);
    }

    /**
     * Reads the bindings, or returns {@code null} for a {@link Manager} written before {@link
     * Manager#lockNames()} existed, so that the rest of the report still works.
     */
    private @Nullable SortedMap<String, Integer> namesIfListed() {
        try {
            return manager.lockNames();
        } catch (UnsupportedOperationException ex) {
            return null;
        }
    }

    /**
     * Frees every allocated lock with {@link Manager#freeAllLocks()}. Reachable only when the
     * endpoint's access is unrestricted ({@code management.endpoint.locks.access=unrestricted}).
     *
     * @return how many locks were allocated before
     */
    @DeleteOperation
    public FreedLocksDescriptor freeAllLocks() {
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
                since != null ? Duration.between(since, now).toMillis() : null,
                lock.ownerHost().orElse(null),
                lock.fencingToken().isPresent() ? lock.fencingToken().getAsLong() : null);
    }

    /**
     * The manager's capacity and held locks.
     *
     * @param backend the backend's name
     * @param capacity how many lock IDs exist, or {@code null} when unbounded
     * @param allocated how many IDs are allocated
     * @param available how many IDs are free to allocate, or {@code null} when unbounded
     * @param held the locks held right now, by ID
     * @param names every name bound by {@link Manager#namedLock(String)} with its lock ID, sorted
     *     by name, or {@code null} when the manager cannot list its names
     */
    public record LocksDescriptor(
            String backend,
            @Nullable Integer capacity,
            int allocated,
            @Nullable Integer available,
            List<LockDescriptor> held,
            @Nullable SortedMap<String, Integer> names)
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
     * @param ownerHost the holder's host, for backends whose holders may be on other hosts
     * @param fencingToken the current hold's fencing token, when the backend reads it without
     *     taking the lock and (shm, file) the hold has drawn it
     */
    public record LockDescriptor(
            int id,
            @Nullable String name,
            boolean held,
            @Nullable Long ownerPid,
            @Nullable String heldSince,
            @Nullable Long heldForMillis,
            @Nullable String ownerHost,
            @Nullable Long fencingToken)
            implements OperationResponseBody {}

    /**
     * The result of freeing every lock.
     *
     * @param freed how many locks were allocated before they were all freed
     */
    public record FreedLocksDescriptor(int freed) implements OperationResponseBody {}
}
