package dev.interlock.spring.aop;

import dev.interlock.LostLock;
import org.jspecify.annotations.Nullable;

/**
 * Told about every lock acquisition and release that {@link dev.interlock.spring.WithLock
 * &#64;WithLock} and {@link dev.interlock.spring.LockTemplate} perform, for metrics. Reentrant calls, which do not
 * lock again, are not reported.
 *
 * <p>Called on the calling thread, around the method: implementations must be quick and must not
 * throw.
 *
 * @author Interlock team
 * @since 0.1.0
 */
public interface WithLockListener {

    /**
     * Called when an attempt to acquire a lock ended.
     *
     * @param lock the annotation's expression text, such as {@code "'invoice-' + #invoice.id"}
     *     (never the evaluated name or ID, so that the set of values stays small)
     * @param outcome whether the lock was acquired
     * @param waitNanos how long the attempt took, in nanoseconds
     */
    void acquisitionEnded(String lock, AcquisitionOutcome outcome, long waitNanos);

    /**
     * Called right after a lock was acquired, on the acquiring thread; the returned handle is
     * closed when the lock is released, possibly on another thread (an asynchronous result
     * completes there). For measurements that must show a hold while it lasts, such as a {@code
     * LongTaskTimer}, so that a stuck holder is visible before it releases.
     *
     * @param lock the annotation's expression text
     * @return what to close at the release, or {@code null} (the default) for nothing
     * @since 0.2.0
     */
    default @Nullable AutoCloseable holdStarted(String lock) {
        return null;
    }

    /**
     * Called after a lock that was acquired has been released.
     *
     * @param lock the annotation's expression text
     * @param methodFailed whether the method ended by throwing
     * @param heldNanos how long the lock was held, in nanoseconds
     */
    void released(String lock, boolean methodFailed, long heldNanos);

    /**
     * Called after the release of a hold that was lost while the method ran (the backend reported
     * it, or its handle was no longer valid when the method returned), just before the call ends
     * with a {@link dev.interlock.LockLostException}.
     *
     * @param lock the annotation's expression text
     * @param lost the lost hold: the lock's ID, name, fencing token and why it was lost
     * @since 0.2.0
     */
    default void lockLost(String lock, LostLock lost) {}

    /**
     * How an attempt to acquire a lock ended.
     *
     * @author Interlock team
     * @since 0.1.0
     */
    enum AcquisitionOutcome {

        /** The lock was acquired and the method ran. */
        ACQUIRED,

        /** The timeout ran out while another holder kept the lock; the method did not run. */
        TIMEOUT,

        /**
         * The timeout ran out while another holder kept the lock and the call was skipped ({@link
         * dev.interlock.spring.WithLock.OnTimeout#SKIP}).
         *
         * @since 0.2.0
         */
        SKIPPED,

        /** The backend failed (storage unusable, manager closed, interrupted); the method did not run. */
        FAILED
    }
}
