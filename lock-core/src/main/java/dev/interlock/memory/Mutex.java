package dev.interlock.memory;

import dev.interlock.support.AbstractLocker;
import java.util.concurrent.locks.AbstractQueuedSynchronizer;

/**
 * One lock of an {@link InMemoryManager}: a non-reentrant, non-fair mutex plus whether its ID is
 * allocated (the allocation state is kept by the manager). Each ID has exactly one {@code Mutex},
 * so every handle with that ID is the same object.
 *
 * @author Interlock team
 * @since 0.1.0
 */
public final class Mutex extends AbstractLocker {

    private final Sync sync = new Sync();

    Mutex(InMemoryManager manager, int id) {
        super(manager, id);
    }

    @Override
    protected boolean acquire(long timeoutNanos) throws InterruptedException {
        if (timeoutNanos == 0) {
            return sync.tryAcquire(1);
        }
        if (timeoutNanos == WAIT_FOREVER) {
            sync.acquireInterruptibly(1);
            return true;
        }
        return sync.tryAcquireNanos(1, timeoutNanos);
    }

    @Override
    protected void release() {
        sync.release(1);
    }

    boolean isLocked() {
        return sync.isLocked();
    }

    /** State 0 is free, 1 is held; who holds it is tracked by the manager's holder table. */
    private static final class Sync extends AbstractQueuedSynchronizer {

        private static final long serialVersionUID = 1L;

        @Override
        protected boolean tryAcquire(int ignored) {
            return compareAndSetState(0, 1);
        }

        @Override
        protected boolean tryRelease(int ignored) {
            setState(0);
            return true;
        }

        boolean isLocked() {
            return getState() != 0;
        }
    }
}
