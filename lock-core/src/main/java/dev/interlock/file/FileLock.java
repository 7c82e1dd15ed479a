package dev.interlock.file;

import dev.interlock.support.AbstractLocker;

/**
 * One lock of a {@link FileLockManager}: an exclusive {@code flock(2)} on the lock's own file in
 * the lock directory. Handles are cheap and open nothing; the file is opened when the lock is
 * first acquired and stays open at most while it is held plus a short while in a bounded cache.
 *
 * <p><b>Waiting.</b> Threads of the same manager queue on an in-process mutex and are handed the
 * lock directly. The one thread that then waits for <em>another</em> manager or process does not
 * block in {@code flock}: a blocking {@code flock} can neither be interrupted nor timed out from
 * Java and would pin a virtual thread's carrier. It tries {@code LOCK_EX | LOCK_NB}, and between
 * attempts sleeps on a futex word of the directory's {@code wake} file, which every release wakes
 * when a waiter is registered; a sleep lasts at most 1 ms, which bounds how late an interrupt,
 * {@code close()} or a holder killed before it could wake anyone is noticed. Virtual threads, and
 * every waiter with {@link FileLockManager.Options#withPortableLocking(boolean) portable locking},
 * park in the JVM instead and poll, 20 µs doubling up to 1 ms. Waiters are not served in order.
 * Closing the manager ends such waits with {@link dev.interlock.ManagerClosedException}.
 *
 * @author Interlock team
 * @since 0.1.0
 */
public final class FileLock extends AbstractLocker {

    private final LockFiles files;

    FileLock(FileLockManager manager, LockFiles files, int id) {
        super(manager, id);
        this.files = files;
    }

    @Override
    protected boolean acquire(long timeoutNanos) throws InterruptedException {
        LockFiles.LockFile file = files.reserve(id());
        boolean acquired = false;
        try {
            acquired = file.lock(timeoutNanos, timeoutNanos == WAIT_FOREVER);
            if (acquired) {
                file.held();
            }
            return acquired;
        } finally {
            if (!acquired) {
                files.unreserve(file);
            }
        }
    }

    /** Drawing a token costs a read, a write and a flush of the lock file: only when asked for. */
    @Override
    protected boolean drawsTokensOnDemand() {
        return true;
    }

    @Override
    protected long holdStamp() {
        return files.reserved(id()).holdStamp;
    }

    @Override
    protected long token() {
        return files.reserved(id()).token();
    }

    @Override
    protected void release() {
        LockFiles.LockFile file = files.reserved(id());
        try {
            file.unlock();
        } finally {
            files.unreserve(file);
        }
    }
}
