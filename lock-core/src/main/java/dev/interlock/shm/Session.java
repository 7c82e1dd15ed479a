package dev.interlock.shm;

import com.sun.jna.LastErrorException;
import dev.interlock.LockStorageException;
import java.util.OptionalLong;

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

    private final ShmSegment segment;

    private final int fd;

    private final int slot;

    private final int token;

    private Session(ShmSegment segment, int fd, int slot, int token) {
        this.segment = segment;
        this.fd = fd;
        this.slot = slot;
        this.token = token;
    }

    /**
     * Claims the lowest free owner slot: takes its OFD lock without waiting (a held lock means a
     * live owner), then publishes a new session token of the next generation.
     *
     * @param fd a descriptor with its own open file description, kept open for the session
     * @throws LockStorageException if every slot is held by a live manager
     */
    static Session claim(String path, ShmSegment segment, int fd) {
        for (int slot = 0; slot < ShmLayout.OWNER_SLOTS; slot++) {
            int offset = ShmLayout.ownerSlotOffset(slot);
            if (tryLockSlot(fd, offset)) {
                int previous = segment.intAcquire(offset + ShmLayout.SLOT_TOKEN_OFFSET);
                int generation = (previous >>> ShmLayout.SLOT_BITS) % ShmLayout.MAX_GENERATION + 1;
                int token = generation << ShmLayout.SLOT_BITS | slot;
                segment.intPlain(offset + ShmLayout.SLOT_PID_OFFSET, (int)
                        ProcessHandle.current().pid());
                segment.longPlain(offset + ShmLayout.SLOT_ATTACHED_OFFSET, System.currentTimeMillis());
                segment.intRelease(offset + ShmLayout.SLOT_TOKEN_OFFSET, token);
                return new Session(segment, fd, slot, token);
            }
        }
        throw new LockStorageException(
                path,
                "All " + ShmLayout.OWNER_SLOTS + " owner slots of shared-memory segment " + path + " are in use by"
                        + " live managers, so no further manager can attach; close managers that are no longer"
                        + " needed (one per process is enough)");
    }

    private static boolean tryLockSlot(int fd, int offset) {
        try {
            NativeCalls.ofdLock(fd, NativeCalls.F_OFD_SETLK, NativeCalls.F_WRLCK, offset);
            return true;
        } catch (LastErrorException ex) {
            if (ex.getErrorCode() == NativeCalls.EAGAIN || ex.getErrorCode() == NativeCalls.EACCES) {
                return false;
            }
            throw ex;
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
        short type = NativeCalls.ofdLock(fd, NativeCalls.F_OFD_GETLK, NativeCalls.F_WRLCK, offset);
        return type != NativeCalls.F_UNLCK;
    }

    /**
     * Returns the pid recorded by the session that wrote {@code holderToken}, while its slot still
     * belongs to that session.
     */
    OptionalLong pidOf(int holderToken) {
        int offset = ShmLayout.ownerSlotOffset(holderToken & ShmLayout.SLOT_MASK);
        int pid = segment.intPlain(offset + ShmLayout.SLOT_PID_OFFSET);
        boolean sameSession = segment.intAcquire(offset + ShmLayout.SLOT_TOKEN_OFFSET) == holderToken;
        return sameSession && pid > 0 ? OptionalLong.of(pid) : OptionalLong.empty();
    }

    /** Ends the session: closing the descriptor drops the OFD lock, so the slot becomes free. */
    void close() {
        NativeCalls.close(fd);
    }
}
