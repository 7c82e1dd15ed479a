package dev.interlock.shm;

import dev.interlock.support.AbstractLocker;
import java.nio.ByteBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One lock of an {@link SHMLockManager}: a handle to a lock word in the shared-memory segment.
 * Handles are cheap and carry no state of their own; every handle with the same ID, in this
 * process and in every other one, acquires the same word.
 *
 * @author Interlock team
 * @since 0.1.0
 */
public final class SHMLock extends AbstractLocker {

    private static final Logger logger = LoggerFactory.getLogger(SHMLock.class);

    private final LockWords words;

    private final int record;

    /** The segment's mapping, its address and this manager's session token, for the uncontended path. */
    private final ByteBuffer mapping;

    private final long address;

    private final int token;

    SHMLock(SHMLockManager manager, int id, LockWords words, int record) {
        super(manager, id, true);
        this.words = words;
        this.record = record;
        ShmSegment segment = words.segment();
        segment.checkRecord(record, ShmLayout.RECORD_LENGTH);
        this.mapping = segment.mapping();
        this.address = segment.address(0);
        this.token = words.sessionToken();
    }

    @Override
    protected boolean acquire(long timeoutNanos) throws InterruptedException {
        return words.acquire(record, id(), timeoutNanos);
    }

    @Override
    protected boolean acquireUncontended() {
        return LockWords.acquireFree(mapping, address, record, token);
    }

    @Override
    protected boolean heldHere() {
        return words.heldHere(record);
    }

    @Override
    protected boolean releaseIfHeld() {
        return LockWords.releaseFree(mapping, address, record, token) || words.releaseContended(record, id());
    }

    /**
     * Draws the hold's token on its first request ({@code LockWords.drawToken}): {@code lock()} and
     * {@code unlock()} leave the fencing counter alone. A handle ({@link #acquire()}) asks at once,
     * since its hold stamp is the token.
     */
    @Override
    protected long token() {
        long token = words.drawToken(record);
        if (!words.heldHere(record)) {
            throw new IllegalMonitorStateException(this + " was released while its fencing token " + token
                    + " was drawn (its manager was closed meanwhile), so that token is void: do not use it,"
                    + " and close the manager only after its locks are unlocked");
        }
        return token;
    }

    @Override
    protected void release() {
        if (!words.release(record, id())) {
            logger.warn(
                    "{} was no longer held by this manager when it was released: another process judged this"
                            + " manager dead and took the lock over; this happens only when a manager is closed"
                            + " while a lock is held, so unlock locks before closing their manager",
                    this);
        }
    }
}
