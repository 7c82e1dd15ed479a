package dev.interlock.shm;

import com.sun.jna.LastErrorException;
import dev.interlock.LockStorageException;
import java.util.OptionalLong;
import org.jspecify.annotations.Nullable;

/**
 * One manager instance's attachment to a segment: its owner slot, its session token, and the
 * open-file-description (OFD) lock that proves it is alive (sections 3 and 10 of {@code
 * docs/shm-layout.md}).
 *
 * <p>The kernel drops an OFD lock when the last descriptor of its open file description closes,
 * which includes the death of the process by any signal. Liveness is therefore decided by asking
 * the kernel whether the slot's lock is still held ({@code F_OFD_GETLK}), never by asking whether
 * a pid is alive: pids are reused, and processes in other pid namespaces that share {@code
 * /dev/shm} see different pids. The slot's session token, which contains a generation, tells a
 * dead holder apart from a later manager that re-claimed the same slot.
 *
 * @author Interlock team
 */
final class Session {

    /** Marks a slot token whose session is still being set up; never equal to a lock word's token. */
    private static final int CLAIMING_BIT = 1 << 31;

    private final ShmSegment segment;

    private final int fd;

    private final int slot;

    private final int token;

    private final long aliveCacheNanos;

    /**
     * The last holder found alive and when: many threads waiting for the same live holder then
     * share one {@code F_OFD_GETLK} per {@code aliveCacheNanos} instead of making one each. A stale
     * entry only delays a recovery by that long.
     */
    private volatile @Nullable Confirmation lastConfirmedAlive;

    /**
     * Counts the holder deaths {@link HolderWatcher} learned of: a confirmation made before a
     * death is not trusted after it, whichever holder it was about.
     */
    private volatile int deaths;

    private record Confirmation(int token, long atNanos, int deaths) {}

    private Session(ShmSegment segment, int fd, int slot, int token, long aliveCacheNanos) {
        this.segment = segment;
        this.fd = fd;
        this.slot = slot;
        this.token = token;
        this.aliveCacheNanos = aliveCacheNanos;
    }

    /**
     * Claims the lowest free owner slot: takes its OFD lock without waiting (a held lock means a
     * live owner), then publishes a new session token of the next generation. At a generation wrap,
     * first retires the slot's tokens that lock words still hold (see {@link #retireTokens}).
     *
     * @param fd a descriptor with its own open file description, kept open for the session
     * @param aliveCacheNanos how long a holder found alive is trusted to stay alive
     * @throws LockStorageException if every slot is held by a live manager
     */
    static Session claim(String path, ShmSegment segment, ShmLayout layout, int fd, long aliveCacheNanos) {
        for (int slot = 0; slot < ShmLayout.OWNER_SLOTS; slot++) {
            int offset = ShmLayout.ownerSlotOffset(slot);
            if (tryLockSlot(path, fd, offset)) {
                int raw = segment.intAcquire(offset + ShmLayout.SLOT_TOKEN_OFFSET);
                int previous = (raw & ~CLAIMING_BIT) >>> ShmLayout.SLOT_BITS;
                boolean wraps = previous >= ShmLayout.MAX_GENERATION;
                int generation = wraps ? 1 : previous + 1;
                int token = generation << ShmLayout.SLOT_BITS | slot;
                // The new token marked as claiming first, the plain token last (all release
                // stores): a reader that sees the same token before and after reading the pid knows
                // the pid is that token's; and a claimant killed half-way still advanced the
                // generation, so no later session can get a dead session's token back.
                segment.intRelease(offset + ShmLayout.SLOT_TOKEN_OFFSET, token | CLAIMING_BIT);
                // A claimant killed while retiring leaves its claiming token: the next one retires
                // again, whatever its generation.
                if (wraps || (raw & CLAIMING_BIT) != 0) {
                    retireTokens(segment, layout, slot);
                }
                segment.intRelease(offset + ShmLayout.SLOT_PID_OFFSET, (int)
                        ProcessHandle.current().pid());
                segment.longRelease(offset + ShmLayout.SLOT_ATTACHED_OFFSET, System.currentTimeMillis());
                segment.intRelease(offset + ShmLayout.SLOT_TOKEN_OFFSET, token);
                return new Session(segment, fd, slot, token, aliveCacheNanos);
            }
        }
        throw new LockStorageException(
                path,
                "All " + ShmLayout.OWNER_SLOTS + " owner slots of shared-memory segment " + path + " are in use by"
                        + " live managers, so no further manager can attach; close managers that are no longer"
                        + " needed (one per process is enough)");
    }

    /**
     * Rewrites every lock word (the allocator's included) that holds a token of {@code slot} to the
     * slot's {@linkplain ShmLayout#RETIRED_GENERATION retired} token, keeping its flag bits. Every
     * such token is a dead session's, since we own the slot; after a generation wrap one of them
     * could equal a token we hand out, and that session would then take the abandoned lock for one
     * of its own holds and wait for itself forever (as would every other process). The retired
     * token is never handed out, so the lock stays dead and is taken over as usual, with the dead
     * holder's report. One read of every lock word, once per {@value ShmLayout#MAX_GENERATION}
     * claims of a slot.
     */
    static void retireTokens(ShmSegment segment, ShmLayout layout, int slot) {
        int retired = ShmLayout.RETIRED_GENERATION << ShmLayout.SLOT_BITS | slot;
        retireToken(segment, ShmLayout.ALLOCATOR_RECORD_OFFSET, slot, retired);
        for (int id = 0; id < layout.lockCount; id++) {
            retireToken(segment, layout.recordOffset(id), slot, retired);
        }
    }

    private static void retireToken(ShmSegment segment, int record, int slot, int retired) {
        int word = segment.intAcquire(record);
        // A failed CAS means another process took the dead word over, which is just as good.
        while ((word & ShmLayout.TOKEN_MASK) != 0
                && (word & ShmLayout.SLOT_MASK) == slot
                && (word & ShmLayout.TOKEN_MASK) != retired) {
            int witness = segment.compareAndExchangeInt(record, word, retired | (word & ~ShmLayout.TOKEN_MASK));
            if (witness == word) {
                return;
            }
            word = witness;
        }
    }

    private static boolean tryLockSlot(String path, int fd, int offset) {
        try {
            NativeCalls.ofdLock(fd, NativeCalls.F_OFD_SETLK, NativeCalls.F_WRLCK, offset);
            return true;
        } catch (LastErrorException ex) {
            if (ex.getErrorCode() == NativeCalls.EAGAIN || ex.getErrorCode() == NativeCalls.EACCES) {
                return false;
            }
            throw new LockStorageException(
                    path,
                    "Cannot take the liveness lock of an owner slot in shared-memory segment " + path
                            + ": fcntl(F_OFD_SETLK) failed with errno " + ex.getErrorCode() + " (" + ex.getMessage()
                            + "); the shared-memory backend needs open-file-description locks (Linux 3.15 or later)",
                    ex);
        }
    }

    /** Returns this session's token, the value its lock words hold (without the waiters bit). */
    int token() {
        return token;
    }

    /** Returns the owner slot index. */
    int slot() {
        return slot;
    }

    /**
     * Decides whether the session that wrote {@code holderToken} into a lock word is alive. A
     * {@code false} answer is final: a dead session never comes back, because a re-claimed slot
     * gets a new generation.
     */
    boolean isAlive(int holderToken) {
        int holderSlot = holderToken & ShmLayout.SLOT_MASK;
        if (holderSlot == slot) {
            // Our own slot: F_OFD_GETLK would not report our own lock, but we know the answer.
            return holderToken == token;
        }
        int offset = ShmLayout.ownerSlotOffset(holderSlot);
        if (segment.intAcquire(offset + ShmLayout.SLOT_TOKEN_OFFSET) != holderToken) {
            return false;
        }
        long now = System.nanoTime();
        // Read before the kernel is asked: a death learned of meanwhile voids this answer's cache.
        int deathsBefore = deaths;
        Confirmation confirmed = lastConfirmedAlive;
        if (confirmed != null
                && confirmed.token == holderToken
                && confirmed.deaths == deathsBefore
                && now - confirmed.atNanos < aliveCacheNanos) {
            return true;
        }
        short type = NativeCalls.ofdLock(fd, NativeCalls.F_OFD_GETLK, NativeCalls.F_WRLCK, offset);
        if (type == NativeCalls.F_UNLCK) {
            return false;
        }
        lastConfirmedAlive = new Confirmation(holderToken, now, deathsBefore);
        return true;
    }

    /**
     * Returns how many holder deaths were learned of so far; a waiter that sees the count change
     * checks its holder at once.
     */
    int deaths() {
        return deaths;
    }

    /**
     * Records that a holder process exited (a hint, see {@link HolderWatcher}): cached
     * confirmations of liveness are no longer trusted, and waiters check their holder at once.
     */
    void holderDied() {
        synchronized (this) {
            deaths++;
        }
    }

    /**
     * Returns the pid recorded by the session that wrote {@code holderToken}, while its slot still
     * belongs to that session.
     */
    OptionalLong pidOf(int holderToken) {
        int offset = ShmLayout.ownerSlotOffset(holderToken & ShmLayout.SLOT_MASK);
        int tokenOffset = offset + ShmLayout.SLOT_TOKEN_OFFSET;
        // Token before and after the pid, as in claim(): an unchanged token means the pid is that
        // session's.
        if (segment.intAcquire(tokenOffset) != holderToken) {
            return OptionalLong.empty();
        }
        int pid = segment.intAcquire(offset + ShmLayout.SLOT_PID_OFFSET);
        boolean sameSession = segment.intAcquire(tokenOffset) == holderToken;
        return sameSession && pid > 0 ? OptionalLong.of(pid) : OptionalLong.empty();
    }

    /**
     * Punches a hole into the segment file through the session's descriptor: the pages of the
     * page-aligned range are freed and read as zero afterwards, in every process.
     *
     * @return {@code false} if the file system cannot punch holes (tmpfs can)
     */
    boolean punchHole(long offset, long length) {
        try {
            NativeCalls.punchHole(fd, offset, length);
            return true;
        } catch (LastErrorException ex) {
            return false;
        }
    }

    /** Ends the session: closing the descriptor drops the OFD lock, so the slot becomes free. */
    void close() {
        NativeCalls.close(fd);
    }
}
