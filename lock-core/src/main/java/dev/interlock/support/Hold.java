package dev.interlock.support;

import dev.interlock.LockHandle;
import dev.interlock.Locker;

/**
 * The handle of one hold, returned by {@link AbstractLocker#acquire()}. Its token is known from
 * the start, or drawn when first asked for by a backend that draws on demand, and kept, so that it
 * stays readable after the hold ended. Subclasses change only how the hold ends.
 *
 * @author Interlock team
 */
class Hold implements LockHandle {

    final AbstractLocker locker;

    final long stamp;

    /** The hold's token, or 0 while not drawn yet. */
    private long token;

    private boolean closed;

    Hold(AbstractLocker locker, long stamp) {
        this.locker = locker;
        this.stamp = stamp;
        this.token = locker.drawsTokensOnDemand() ? 0 : stamp;
    }

    @Override
    public final Locker locker() {
        return locker;
    }

    @Override
    public final synchronized long fencingToken() {
        if (token == 0) {
            if (closed || !locker.isHolding(stamp)) {
                throw new IllegalMonitorStateException("The hold of " + this + " ended before its fencing token was"
                        + " asked for, and this backend draws tokens only on demand; ask for the token while the"
                        + " lock is held");
            }
            token = locker.token();
        }
        return token;
    }

    @Override
    public final synchronized boolean isValid() {
        return !closed && locker.isHolding(stamp);
    }

    @Override
    public final void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        end();
    }

    /** Ends the hold; called once, by the first {@link #close()}. */
    void end() {
        locker.unlock();
    }

    @Override
    public String toString() {
        return locker.toString();
    }
}
