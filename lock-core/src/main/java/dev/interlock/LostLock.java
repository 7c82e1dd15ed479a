package dev.interlock;

import java.util.Objects;
import java.util.Optional;

/**
 * A hold that ended without being released, as reported to a {@link LockLostListener} and carried
 * by a {@link LockLostException}.
 *
 * @param id the lock's ID
 * @param name the name bound to the lock, if it was acquired by name
 * @param fencingToken the fencing token of the lost hold; a protected resource that refuses tokens
 *     not greater than the last one it accepted refuses the lost holder's late writes once the next
 *     holder wrote
 * @param reason what ended the hold, in words (for example "the server session ended: terminated
 *     by the administrator")
 * @author Interlock team
 * @since 0.2.0
 */
public record LostLock(int id, Optional<String> name, long fencingToken, String reason) {

    /**
     * Creates a report, checking its components.
     *
     * @param id the lock's ID
     * @param name the bound name, if any
     * @param fencingToken the hold's fencing token
     * @param reason what ended the hold
     */
    public LostLock {
        if (id < 0) {
            throw new IllegalArgumentException("LostLock id must not be negative, was " + id);
        }
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(reason, "reason");
    }
}
