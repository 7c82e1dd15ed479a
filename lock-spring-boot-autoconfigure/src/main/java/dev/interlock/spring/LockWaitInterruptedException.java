package dev.interlock.spring;

import dev.interlock.LockException;

/**
 * Thrown when a thread waiting for a lock on behalf of {@link WithLock @WithLock} or {@link
 * LockTemplate} is interrupted, for example by {@code Future.cancel(true)} or {@code
 * ExecutorService.shutdownNow()}. The lock is not held and the protected code did not run; the
 * thread's interrupt status is set again.
 *
 * @author Interlock team
 * @since 0.2.0
 */
public class LockWaitInterruptedException extends LockException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param lock what was awaited, such as {@code lock 'invoice-42' of @WithLock(...) on ...}
     * @param cause the interruption
     */
    public LockWaitInterruptedException(String lock, InterruptedException cause) {
        super(
                "Interrupted while waiting for " + lock + "; the protected code did not run and the lock is not"
                        + " held. The interrupt came from this thread's owner (Future.cancel(true), shutdownNow()); the"
                        + " interrupt status is set again",
                cause);
    }
}
