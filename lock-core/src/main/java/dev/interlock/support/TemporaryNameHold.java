package dev.interlock.support;

import dev.interlock.LockHandle;
import dev.interlock.Locker;

/**
 * The hold of a temporary name lock ({@link AbstractManager#lockName(String)}): closing it frees
 * the ID and the name's binding while still holding the lock, then unlocks.
 *
 * @author Interlock team
 */
final class TemporaryNameHold implements LockHandle {

    private final AbstractLocker locker;

    private final String name;

    private final long stamp;

    /** The hold's token, or 0 while not drawn yet. */
    private long token;

    private boolean closed;

    TemporaryNameHold(AbstractLocker locker, String name, long stamp) {
        this.locker = locker;
        this.name = name;
        this.stamp = stamp;
        this.token = locker.drawsTokensOnDemand() ? 0 : stamp;
    }

    @Override
    public Locker locker() {
        return locker;
    }

    @Override
    public synchronized long fencingToken() {
        if (token == 0) {
            if (closed || !locker.isHolding(stamp)) {
                throw new IllegalMonitorStateException("The hold of temporary name '" + name + "' (" + locker
                        + ") ended before its fencing token was asked for, and this backend draws tokens only on"
                        + " demand; ask for the token while the name is held");
            }
            token = locker.token();
        }
        return token;
    }

    @Override
    public synchronized boolean isValid() {
        return !closed && locker.isHolding(stamp);
    }

    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        locker.unlockFreeing(stamp);
    }

    @Override
    public String toString() {
        return "temporary name '" + name + "' (" + locker + ")";
    }
}
