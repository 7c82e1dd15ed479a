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
 * @author Interlock team
 * @since 0.1.0
 */
public record HeldLock(int id, Optional<String> name, OptionalLong ownerPid, Optional<Instant> heldSince) {

    /**
     * Creates a snapshot, checking that no component is {@code null} and the ID is not negative.
     *
     * @param id the lock's ID
     * @param name the bound name, if any
     * @param ownerPid the holder's process ID, if known
     * @param heldSince the acquisition time, if known
     */
    public HeldLock {
        if (id < 0) {
            throw new IllegalArgumentException("HeldLock id must not be negative, was " + id);
        }
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(ownerPid, "ownerPid");
        Objects.requireNonNull(heldSince, "heldSince");
    }
}
