package dev.interlock.postgresql;

import dev.interlock.support.AbstractLocker;
import java.util.Optional;

/**
 * A lock of a {@link PostgresLockManager}: the session-level advisory lock {@code (space_key, id)}
 * held by the manager's holder session.
 *
 * @author Interlock team
 */
final class PostgresLock extends AbstractLocker {

    private final PostgresLockManager manager;

    private final Optional<String> name;

    PostgresLock(PostgresLockManager manager, int id, Optional<String> name) {
        super(manager, id);
        this.manager = manager;
        this.name = name;
    }

    @Override
    protected boolean acquire(long timeoutNanos) throws InterruptedException {
        return manager.acquire(id(), name, timeoutNanos);
    }

    @Override
    protected void release() {
        manager.release(id());
    }

    @Override
    protected long token() {
        return manager.token(id());
    }

    @Override
    protected boolean drawsTokensOnDemand() {
        return manager.drawsTokensOnDemand();
    }

    @Override
    protected long holdStamp() {
        return manager.stamp(id());
    }

    @Override
    protected boolean isLost() {
        return manager.isLost(id());
    }
}
