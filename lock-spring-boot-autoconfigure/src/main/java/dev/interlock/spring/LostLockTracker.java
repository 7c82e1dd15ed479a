package dev.interlock.spring;

import dev.interlock.LockLostListener;
import dev.interlock.LostLock;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.ApplicationEventPublisher;

/**
 * The {@link LockLostListener} of the application's lock manager: publishes every lost hold as a
 * {@link LockLostEvent}, and tells the {@link WithLock @WithLock} method or {@link LockTemplate}
 * call that holds the lock, which then ends with a {@link dev.interlock.LockLostException} once
 * the protected code returned. The starter gives it to the backends that can lose a lock (the
 * PostgreSQL backend); one tracker serves one manager.
 *
 * @author Interlock team
 * @since 0.2.0
 */
public final class LostLockTracker implements LockLostListener {

    private static final Logger logger = LoggerFactory.getLogger(LostLockTracker.class);

    private final ApplicationEventPublisher publisher;

    /** The holds that template calls are in, by lock ID: a manager holds an ID at most once. */
    private final Map<Integer, Watch> watched = new ConcurrentHashMap<>();

    /**
     * Creates a tracker.
     *
     * @param publisher where the events go
     */
    public LostLockTracker(ApplicationEventPublisher publisher) {
        this.publisher = publisher;
    }

    @Override
    public void lockLost(LostLock lost) {
        Watch watch = watched.get(lost.id());
        LostLock named = lost;
        if (watch != null) {
            if (lost.name().isEmpty() && watch.name != null) {
                // A temporary name lock: the backend knows the ID only; the call knows the name.
                named = new LostLock(lost.id(), Optional.of(watch.name), lost.fencingToken(), lost.reason());
            }
            if (!watch.lost(named)) {
                return; // The call that held it found the hold invalid first and published already.
            }
        }
        publish(named);
    }

    /**
     * Starts watching the hold of lock {@code id} that a template call just acquired.
     *
     * @param id the lock's ID
     * @param name the name the call locked, or {@code null} for a lock taken by ID
     * @return the watch, to {@linkplain #end(Watch, LostLock) end} when the protected code returned
     */
    Watch watch(int id, @Nullable String name) {
        Watch watch = new Watch(id, name);
        watched.put(id, watch);
        return watch;
    }

    /**
     * Ends a watch and returns the loss to report for its hold, if any: the backend's report, or
     * else {@code invalid}, which is then published here. A watch whose hold was found invalid
     * stays registered, so that the backend's later report of the same loss is not published
     * twice; the next hold of the ID replaces it.
     *
     * @param watch the watch
     * @param invalid the loss the call saw itself (its handle was no longer valid), or {@code null}
     * @return the loss, or {@code null} if the hold was in force until the end
     */
    @Nullable
    LostLock end(Watch watch, @Nullable LostLock invalid) {
        LostLock reported = watch.end();
        if (reported != null || invalid == null) {
            watched.remove(watch.id, watch);
            return reported;
        }
        publish(invalid);
        return invalid;
    }

    /**
     * Publishes a loss that the calling code noticed itself.
     *
     * @param lost the lost hold
     */
    void publish(LostLock lost) {
        try {
            publisher.publishEvent(new LockLostEvent(this, lost));
        } catch (RuntimeException ex) {
            logger.warn("A listener of LockLostEvent failed for lost lock {}", lost.id(), ex);
        }
    }

    /** One hold of one lock ID by a template call. */
    static final class Watch {

        private final int id;

        private final @Nullable String name;

        private @Nullable LostLock reported;

        private boolean ended;

        Watch(int id, @Nullable String name) {
            this.id = id;
            this.name = name;
        }

        /** Records the backend's report; returns false if the call already ended and reported it. */
        synchronized boolean lost(LostLock lost) {
            if (ended) {
                return false;
            }
            reported = lost;
            return true;
        }

        /** Ends the watch; returns the backend's report, if it came. */
        synchronized @Nullable LostLock end() {
            ended = true;
            return reported;
        }
    }
}
