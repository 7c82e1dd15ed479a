package dev.interlock.spring;

import dev.interlock.LostLock;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import org.springframework.context.ApplicationEvent;

/**
 * Published when a hold of an Interlock lock was lost: the backend learned that the lock is no
 * longer exclusive to this application (the PostgreSQL backend, when its server session ended or
 * was cut off), or a {@link WithLock @WithLock} method or {@link LockTemplate} call found its hold
 * no longer valid when the protected code returned. Another holder may have been inside the
 * critical section at the same time; writes fenced with the {@linkplain #getFencingToken() token}
 * are refused once a later holder wrote.
 *
 * <p>Published on the thread that noticed the loss, which for a backend report is a thread of the
 * backend: listeners must be quick (or {@code @Async}) and must not lock or unlock Interlock locks.
 *
 * @author Interlock team
 * @since 0.2.0
 */
public class LockLostEvent extends ApplicationEvent {

    private static final long serialVersionUID = 1L;

    /** The lost lock's ID. */
    private final int lockId;

    /** The name bound to the lock when it was acquired by name, or {@code null}. */
    private final @Nullable String lockName;

    /** The fencing token of the lost hold, or 0 if none was drawn for it. */
    private final long fencingToken;

    /** What ended the hold, in words. */
    private final String reason;

    /**
     * Creates the event.
     *
     * @param source what noticed the loss
     * @param lost the lost hold
     */
    public LockLostEvent(Object source, LostLock lost) {
        super(source);
        this.lockId = lost.id();
        this.lockName = lost.name().orElse(null);
        this.fencingToken = lost.fencingToken();
        this.reason = lost.reason();
    }

    /**
     * Returns the lost lock's ID.
     *
     * @return the ID
     */
    public int getLockId() {
        return lockId;
    }

    /**
     * Returns the name bound to the lock, if it was acquired by name.
     *
     * @return the name, or empty
     */
    public Optional<String> getLockName() {
        return Optional.ofNullable(lockName);
    }

    /**
     * Returns the fencing token of the lost hold.
     *
     * @return the token, or 0 if none was drawn for the hold
     */
    public long getFencingToken() {
        return fencingToken;
    }

    /**
     * Returns what ended the hold.
     *
     * @return the reason, in words
     */
    public String getReason() {
        return reason;
    }

    /**
     * Returns the lost hold as the core API describes it.
     *
     * @return the lock's ID, name, token and reason
     */
    public LostLock toLostLock() {
        return new LostLock(lockId, getLockName(), fencingToken, reason);
    }

    @Override
    public String toString() {
        return "LockLostEvent[lock " + lockId + (lockName != null ? " '" + lockName + "'" : "") + ", fencing token "
                + fencingToken + ": " + reason + "]";
    }
}
