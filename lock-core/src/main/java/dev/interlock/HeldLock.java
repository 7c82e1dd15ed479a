package dev.interlock;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * A snapshot of one held lock, read without taking the lock.
 *
 * @param id the lock's ID
 * @param name the name bound to the lock by {@link Manager#namedLock(String)}, if any
 * @param ownerPid the process ID of the holder as seen by the holder itself, when the backend
 *     records it
 * @param heldSince when the holder acquired the lock, when the backend records it
 * @param ownerHost the holder's host name, for backends whose holders may be on other hosts; empty
 *     where every holder is on this host
 * @param fencingToken the {@link LockHandle#fencingToken() fencing token} of the current hold,
 *     where the backend can read it without taking a lock; empty while the hold has not drawn it,
 *     for backends that draw a token only when a hold first asks for one
 * @author Interlock team
 * @since 0.1.0
 */
public record HeldLock(
        int id,
        Optional<String> name,
        OptionalLong ownerPid,
        Optional<Instant> heldSince,
        Optional<String> ownerHost,
        OptionalLong fencingToken) {

    /**
     * Creates a snapshot, checking that no component is {@code null} and the ID is not negative.
     *
     * @param id the lock's ID
     * @param name the bound name, if any
     * @param ownerPid the holder's process ID, if known
     * @param heldSince the acquisition time, if known
     * @param ownerHost the holder's host name, if the backend spans hosts
     * @param fencingToken the current hold's fencing token, if readable without a lock
     */
    public HeldLock {
        if (id < 0) {
            throw new IllegalArgumentException("HeldLock id must not be negative, was " + id);
        }
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(ownerPid, "ownerPid");
        Objects.requireNonNull(heldSince, "heldSince");
        Objects.requireNonNull(ownerHost, "ownerHost");
        Objects.requireNonNull(fencingToken, "fencingToken");
    }

    /**
     * Creates a snapshot of a lock held on this host whose fencing token is not known.
     *
     * @param id the lock's ID
     * @param name the bound name, if any
     * @param ownerPid the holder's process ID, if known
     * @param heldSince the acquisition time, if known
     */
    public HeldLock(int id, Optional<String> name, OptionalLong ownerPid, Optional<Instant> heldSince) {
        this(id, name, ownerPid, heldSince, Optional.empty(), OptionalLong.empty());
    }
}
