package dev.interlock.memory;

import dev.interlock.support.AbstractLocker;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
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
        super(manager, id, true);
    }

    /** The state's compare-and-set from free to held, and the token drawn beside it. */
    @Override
    protected boolean acquireUncontended() {
        return sync.tryAcquire(1);
    }

    @Override
    protected boolean heldHere() {
        return sync.isLocked();
    }

    @Override
    protected boolean releaseIfHeld() {
        return sync.release(1);
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

    @Override
    protected long token() {
        return sync.fence;
    }

    boolean isLocked() {
        return sync.isLocked();
    }

    /** Returns the token of the current or last hold, read without taking the lock; 0 if never held. */
    long lastToken() {
        return (long) Sync.FENCE.getOpaque(sync);
    }

    /**
     * State 0 is free, 1 is held by the manager (each manager has its own mutexes), which is all
     * the ownership there is: the manager's holder table only notes the acquiring thread. The
     * fencing counter sits beside the state, in the same object, so drawing a token at every
     * acquisition costs a plain load and store on a cache line the acquiring CAS already owns.
     */
    private static final class Sync extends AbstractQueuedSynchronizer {

        private static final long serialVersionUID = 1L;

        static final VarHandle FENCE;

        static {
            try {
                FENCE = MethodHandles.lookup().findVarHandle(Sync.class, "fence", long.class);
            } catch (ReflectiveOperationException ex) {
                throw new ExceptionInInitializerError(ex);
            }
        }

        /**
         * The token of the current (or last) hold. Written only by the holder right after its
         * acquiring CAS, so the next holder, which acquires after the release that follows, reads
         * it with a plain load; opaque for readers that do not hold the lock.
         */
        long fence;

        /**
         * Padding after the hot fields ({@code state}, {@code fence}): the Syncs of locks created
         * one after the other (IDs 0, 1, ... on allocation) lie side by side in the heap, so two
         * threads on two unrelated locks would write the same cache line on every acquisition
         * (issue 15: 7.6× {@code ReentrantLock}). Fifteen longs keep the next object's fields over
         * 120 bytes away: out of our line and of the adjacent-line prefetcher's pair. Subclass
         * fields follow the superclass's, so padding here comes after {@code state}.
         */
        @SuppressWarnings("unused")
        private long pad1, pad2, pad3, pad4, pad5, pad6, pad7, pad8, pad9, pad10, pad11, pad12, pad13, pad14, pad15;

        @Override
        protected boolean tryAcquire(int ignored) {
            if (compareAndSetState(0, 1)) {
                FENCE.setOpaque(this, fence + 1);
                return true;
            }
            return false;
        }

        /** Releases with a compare-and-set, so that of racing releasers exactly one releases. */
        @Override
        protected boolean tryRelease(int ignored) {
            return compareAndSetState(1, 0);
        }

        boolean isLocked() {
            return getState() != 0;
        }
    }
}
