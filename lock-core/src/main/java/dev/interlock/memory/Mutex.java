package dev.interlock.memory;

import dev.interlock.support.AbstractLocker;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.OptionalLong;
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

    /** The state's compare-and-set from free to held. */
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

    /** Draws the hold's token on its first request, as the shared-memory backend does. */
    @Override
    protected long token() {
        long token = sync.drawToken();
        if (token == 0) {
            throw new IllegalMonitorStateException(this + " was released while its fencing token was asked for"
                    + " (another thread of its manager unlocked it, or the manager was closed): ask for the token"
                    + " while the lock is held");
        }
        return token;
    }

    boolean isLocked() {
        return sync.isLocked();
    }

    /** Returns the current hold's token if it drew one, read without taking the lock. */
    OptionalLong drawnToken() {
        return sync.drawnToken();
    }

    /**
     * State 0 is free, {@link #HELD} is held by the manager (each manager has its own mutexes),
     * which is all the ownership there is: the manager's holder table only notes the acquiring
     * thread. {@link #HELD_WITH_TOKEN} is held after the hold drew its fencing token, which it
     * does only when asked: drawing at every acquisition put a load and a store of the counter
     * between the two compare-and-sets of every uncontended pair (issue 15: 5.1 against 4.8 ns,
     * {@code ReentrantLock} 4.5 ns).
     */
    private static final class Sync extends AbstractQueuedSynchronizer {

        private static final long serialVersionUID = 1L;

        static final int HELD = 1;

        static final int HELD_WITH_TOKEN = 2;

        static final VarHandle FENCE;

        static {
            try {
                FENCE = MethodHandles.lookup().findVarHandle(Sync.class, "fence", long.class);
            } catch (ReflectiveOperationException ex) {
                throw new ExceptionInInitializerError(ex);
            }
        }

        /**
         * The token of the last hold that drew one. Written only during a hold, under this
         * object's monitor; opaque for readers that do not hold the lock.
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
            return compareAndSetState(0, HELD);
        }

        /**
         * Releases with a compare-and-set, so that of racing releasers (an {@code unlock()} and a
         * {@code close()}) exactly one releases. A hold cannot draw its token between the two
         * attempts of the loser: a new hold would have to start and return from {@code lock()},
         * and once {@code close()} races, a new hold sees the closed flag and gives up before.
         */
        @Override
        protected boolean tryRelease(int ignored) {
            return compareAndSetState(HELD, 0) || compareAndSetState(HELD_WITH_TOKEN, 0);
        }

        /**
         * Returns the current hold's token, drawing it first if this hold has none yet, or 0 if no
         * hold is in force. The counter is raised before the state says so, and the state moves
         * with a compare-and-set, so a release racing the draw (another thread of the manager
         * unlocking) is never undone; the raised counter then stays unused, and tokens still
         * increase.
         */
        synchronized long drawToken() {
            int state = getState();
            if (state == HELD) {
                FENCE.setOpaque(this, fence + 1);
                state = compareAndSetState(HELD, HELD_WITH_TOKEN) ? HELD_WITH_TOKEN : 0;
            }
            return state == HELD_WITH_TOKEN ? fence : 0;
        }

        boolean isLocked() {
            return getState() != 0;
        }

        /** The state is set after the counter, so a state that says drawn comes with that counter. */
        OptionalLong drawnToken() {
            return getState() == HELD_WITH_TOKEN ? OptionalLong.of((long) FENCE.getOpaque(this)) : OptionalLong.empty();
        }
    }
}
