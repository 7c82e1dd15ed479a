package dev.interlock.file;

import static dev.interlock.file.Libc.EINTR;
import static dev.interlock.file.Libc.EWOULDBLOCK;
import static dev.interlock.file.Libc.F_OFD_GETLK;
import static dev.interlock.file.Libc.F_OFD_SETLK;
import static dev.interlock.file.Libc.F_UNLCK;
import static dev.interlock.file.Libc.F_WRLCK;
import static dev.interlock.file.Libc.LOCK_EX;
import static dev.interlock.file.Libc.LOCK_NB;
import static dev.interlock.file.Libc.LOCK_UN;

import dev.interlock.LockStorageException;
import dev.interlock.ManagerClosedException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;

/**
 * The open lock files of one manager: a descriptor for every lock that is held, waited for or
 * being tried, plus at most {@value #MAX_IDLE} idle descriptors of recently used locks, so that a
 * JVM that touched 100,000 IDs keeps about {@value #MAX_IDLE} files open, not 100,000, and a hot
 * lock does not pay an {@code open(2)} per acquisition.
 *
 * <p>Closing an idle descriptor is safe even while another manager of this JVM holds the same lock:
 * {@code flock} locks belong to an open file description, not to the process, so closing one
 * descriptor never drops a lock taken through another (the trap of POSIX record locks and {@link
 * java.nio.channels.FileChannel#lock()}). A descriptor in use is never closed: a closed number could
 * be reused for an unrelated file that a later {@code flock} would then lock.
 *
 * @author Interlock team
 */
final class LockFiles {

    /** Idle descriptors kept open per manager. */
    static final int MAX_IDLE = 128;

    private final LockDirectory directory;

    private final String owner;

    /** The calls the lock files are used through: {@code flock}, or the JDK's file locks. */
    private final FileCalls calls;

    /** The mapped wake file through which releases wake other processes' waiters; null in portable mode. */
    private final @Nullable WakeTable wake;

    /**
     * Every open lock file by ID, least recently reserved first: an access-ordered map moves an
     * entry to the end on {@code get} without allocating, so the hot path creates no garbage.
     * Guarded by {@code this}.
     */
    private final LinkedHashMap<Integer, LockFile> open = new LinkedHashMap<>(64, 0.75f, true);

    /** How many open lock files have no user; guarded by {@code this}. */
    private int idle;

    /** Written under {@code this}; volatile so that waiting threads notice it between attempts. */
    private volatile boolean closed;

    /** Source of {@link LockFile#holdStamp}: unique per hold of any lock by this manager. */
    private final AtomicLong holdStamps = new AtomicLong();

    LockFiles(LockDirectory directory, String owner) {
        this.directory = directory;
        this.owner = owner;
        this.calls = directory.calls();
        this.wake = directory.wakeTable();
    }

    /**
     * Returns the open lock file of {@code id}, opening it if needed, and counts one more user, so
     * that it stays open until {@link #unreserve} is called for it.
     */
    LockFile reserve(int id) {
        synchronized (this) {
            LockFile file = open.get(id);
            if (file != null) {
                claim(file);
                return file;
            }
        }
        // Opening (and maybe creating) the file is a system call; do it outside the monitor.
        int fd = directory.openLockFile(id);
        LockFile file;
        synchronized (this) {
            if (closed) {
                file = null;
            } else {
                file = open.get(id);
                if (file == null) {
                    file = new LockFile(this, id, fd);
                    open.put(id, file);
                    file.users = 1;
                    return file;
                }
                claim(file);
            }
        }
        // Closed meanwhile, or another thread opened the same file first.
        calls.close(fd);
        if (file == null) {
            throw new ManagerClosedException(owner);
        }
        return file;
    }

    /** Returns the reserved lock file of {@code id}. */
    synchronized LockFile reserved(int id) {
        LockFile file = open.get(id);
        if (file == null || file.users == 0) {
            throw new IllegalStateException("Lock file " + id + " is not reserved; release() without acquire()");
        }
        return file;
    }

    private void claim(LockFile file) {
        if (file.users++ == 0) {
            idle--;
        }
    }

    /**
     * Counts one user less; a lock file nobody uses becomes idle, and beyond {@value #MAX_IDLE}
     * idle ones the least recently used idle one is closed.
     */
    void unreserve(LockFile file) {
        LockFile evicted = null;
        synchronized (this) {
            if (--file.users > 0) {
                return;
            }
            idle++;
            if (closed || idle > MAX_IDLE) {
                evicted = closed ? file : eldestIdle();
                open.remove(evicted.id);
                idle--;
            }
        }
        if (evicted != null) {
            calls.close(evicted.fd);
        }
    }

    /** Returns the least recently used idle lock file; only files in use (at most one per waiting thread) come before it. */
    private LockFile eldestIdle() {
        for (LockFile file : open.values()) {
            if (file.users == 0) {
                return file;
            }
        }
        throw new IllegalStateException("No idle lock file although " + idle + " are counted idle");
    }

    /** Returns how many lock files are open right now. */
    synchronized int openCount() {
        return open.size();
    }

    /** Closes the idle lock files; those still in use are closed when their last user leaves. */
    void close() {
        List<LockFile> toClose = new ArrayList<>();
        synchronized (this) {
            closed = true;
            for (Iterator<LockFile> files = open.values().iterator(); files.hasNext(); ) {
                LockFile file = files.next();
                if (file.users == 0) {
                    toClose.add(file);
                    files.remove();
                }
            }
            idle = 0;
        }
        for (LockFile file : toClose) {
            calls.close(file.fd);
        }
    }

    /**
     * One open lock file: its descriptor, and a mutex that lets only one thread of this manager at
     * a time take the {@code flock}. Threads of one manager share the descriptor, and an {@code
     * flock} does not exclude a second request through its own open file description, so without
     * this mutex two threads of one manager would both "acquire" the lock. Threads of this manager
     * wait on the mutex and are woken directly on release; only the one that owns the mutex waits
     * for other processes.
     *
     * <p>Waiting for another process: in native mode the mutex owner announces itself in the
     * {@link WakeTable} and sleeps on its slot between attempts, at most {@value
     * #MAX_BACKOFF_NANOS} ns at a time, and a {@code LOCK_UN} wakes the slot's sleepers when one
     * announced itself; virtual threads and the portable mode park and poll instead, {@value
     * #MIN_BACKOFF_NANOS} ns doubling up to {@value #MAX_BACKOFF_NANOS} ns.
     *
     * <p>Fairness between processes: a releaser could otherwise take the {@code flock} again at
     * once, every time, before the woken (or polling) waiters of other processes try it. So a waiter
     * that has tried for {@value #STARVING_NANOS} ns takes the <em>turn</em>, an
     * open-file-description write lock on byte {@value #TURN_OFFSET} of the lock file (independent
     * of the {@code flock}; the kernel drops it when the holder dies), and then sleeps until woken,
     * or polls every {@value #MIN_BACKOFF_NANOS} ns where it cannot be woken. Every other acquirer
     * that gets the {@code flock} checks for a turn held elsewhere, at most once per {@value #TURN_CHECK_NANOS} ns so
     * that a hot lock pays one {@code fcntl} per millisecond, not per acquisition, and gives the
     * {@code flock} back if there is one. A turn that is never served (its holder stalled) is
     * ignored by an acquirer that has itself waited {@value #MAX_YIELD_NANOS} ns.
     */
    static final class LockFile {

        /** First pause between two attempts when another process holds the lock. */
        static final long MIN_BACKOFF_NANOS = 20_000;

        /** Longest pause between two attempts: bounds the hand-off delay from another process. */
        static final long MAX_BACKOFF_NANOS = 1_000_000;

        /** How long a waiter tries before it takes the turn. */
        static final long STARVING_NANOS = 5_000_000;

        /** Least time between two checks for a turn held elsewhere by an acquirer without the turn. */
        static final long TURN_CHECK_NANOS = 1_000_000;

        /** How long an acquirer gives way to a turn held elsewhere before it ignores it. */
        static final long MAX_YIELD_NANOS = 100_000_000;

        /** The byte whose open-file-description lock is the turn: past the 8-byte fencing counter. */
        static final long TURN_OFFSET = Long.BYTES;

        private final LockFiles files;

        final int id;

        final int fd;

        /** Reservations; guarded by the owning {@link LockFiles}. */
        int users;

        /**
         * Taken before the {@code flock} and released after it; a semaphore, not a lock, because
         * the manager owns a held lock and any of its threads may unlock it.
         */
        private final Semaphore mutex = new Semaphore(1);

        /**
         * Identifies the current hold among all holds of this manager; written by the acquiring
         * thread after it took the mutex, read by threads of the manager while it holds the lock
         * (the mutex hand-off and the holder table order these accesses).
         */
        long holdStamp;

        /** The current hold's fencing token, or 0 until asked for; drawn under {@link #tokenLock}. */
        private long token;

        /**
         * Whether this manager holds the {@code flock}: set at acquisition, cleared under {@link
         * #tokenLock} before the {@code flock} is dropped, so that a token is only ever drawn (and
         * the counter only written) while the lock is held, even when another thread of the
         * manager unlocks during the draw.
         */
        private boolean holding;

        private final ReentrantLock tokenLock = new ReentrantLock();

        /** Whether this manager holds the turn; only the mutex owner reads or writes it. */
        private boolean turn;

        /** When the mutex owner may check for a turn held elsewhere next; only it uses this. */
        private long nextTurnCheck;

        LockFile(LockFiles files, int id, int fd) {
            this.files = files;
            this.id = id;
            this.fd = fd;
        }

        /**
         * Takes the mutex, then the {@code flock}, within {@code timeoutNanos}; see {@link
         * FileLock} for why the {@code flock} is tried, not waited for in the kernel.
         */
        boolean lock(long timeoutNanos, boolean forever) throws InterruptedException {
            if (timeoutNanos == 0) {
                if (!mutex.tryAcquire()) {
                    return false;
                }
                boolean locked = false;
                try {
                    locked = tryFlock() && !yieldedToStarving(System.nanoTime(), 0, false);
                    return locked;
                } finally {
                    // Also when tryFlock() throws (ENOLCK, EBADF...): a kept permit would make every
                    // later lock() of this ID by this manager wait forever.
                    if (!locked) {
                        mutex.release();
                    }
                }
            }
            long start = System.nanoTime();
            long deadline = start + timeoutNanos;
            // The clock is read again only after waiting for the mutex: an uncontended lock() reads
            // it once (a clock read is about 25 ns of a pair on the machines measured).
            long now = start;
            if (!mutex.tryAcquire()) {
                if (forever) {
                    mutex.acquire();
                } else if (!mutex.tryAcquire(timeoutNanos, TimeUnit.NANOSECONDS)) {
                    return false;
                }
                now = System.nanoTime();
            }
            boolean locked = false;
            try {
                locked = awaitFlock(forever, start, now, deadline);
                return locked;
            } finally {
                if (turn) {
                    releaseTurn();
                }
                if (!locked) {
                    mutex.release();
                }
            }
        }

        /**
         * Tries the {@code flock} until it is taken or the deadline passes, sleeping between tries.
         *
         * @param start when the acquisition began
         * @param now the clock read just before the first try; read again after each pause
         */
        private boolean awaitFlock(boolean forever, long start, long now, long deadline) throws InterruptedException {
            WakeTable wake = files.wake != null && WakeTable.maySleepInKernel() ? files.wake : null;
            long backoff = MIN_BACKOFF_NANOS;
            boolean yielded = false;
            // Each attempt after a pause is first made without touching the wake file (a woken
            // waiter usually gets the lock, and then leaves no sleepers bit for the next release to
            // pay for); when it fails, a sleeper is announced and the lock tried once more before the
            // sleep, so that a release after that attempt changes the word and the futex wait returns
            // at once instead of missing the release.
            boolean announce = false;
            while (true) {
                int word = announce ? wake.announceSleeper(id) : 0;
                if (tryFlock()) {
                    if (turn || !yieldedToStarving(now, now - start, yielded)) {
                        return true;
                    }
                    yielded = true;
                }
                if (wake != null && !announce) {
                    announce = true;
                    continue;
                }
                if (!turn && now - start >= STARVING_NANOS) {
                    turn = takeTurn();
                }
                // Woken on release, a waiter needs no short pauses: the slice only bounds how late it
                // notices a holder killed before its wake, an interrupt or close().
                long pause = wake != null ? MAX_BACKOFF_NANOS : turn ? MIN_BACKOFF_NANOS : backoff;
                if (!forever) {
                    long remaining = deadline - now;
                    if (remaining <= 0) {
                        return false;
                    }
                    pause = Math.min(pause, remaining);
                }
                if (wake != null) {
                    wake.await(id, word, pause);
                    announce = false;
                } else {
                    LockSupport.parkNanos(this, pause);
                }
                if (Thread.interrupted()) {
                    throw new InterruptedException();
                }
                if (files.closed) {
                    // The mutex is released on the way out, so the next waiter of this manager ends too.
                    throw new ManagerClosedException(files.owner);
                }
                backoff = Math.min(backoff * 2, MAX_BACKOFF_NANOS);
                now = System.nanoTime();
            }
        }

        /**
         * Called with the {@code flock} just taken, without the turn: gives the {@code flock} back
         * if a waiter of another manager holds the turn. Checks at most once per {@value
         * #TURN_CHECK_NANOS} ns, except right after giving way, and not at all once this
         * acquisition has waited {@value #MAX_YIELD_NANOS} ns.
         *
         * @param now {@link System#nanoTime()}, read just before the {@code flock} was taken
         * @param waited how long this acquisition has waited
         * @param yielded whether this acquisition gave way before
         * @return whether the {@code flock} was given back
         */
        private boolean yieldedToStarving(long now, long waited, boolean yielded) {
            if ((!yielded && now - nextTurnCheck < 0) || waited >= MAX_YIELD_NANOS) {
                return false;
            }
            nextTurnCheck = now + TURN_CHECK_NANOS;
            long[] query = {F_WRLCK, TURN_OFFSET, 1, 0};
            // Fairness is best effort: where OFD locks fail (or the portable calls have none),
            // acquirers just never give way.
            if (files.calls.fcntl(fd, F_OFD_GETLK, query) != 0 || (short) query[0] == F_UNLCK) {
                return false;
            }
            unflock();
            return true;
        }

        private boolean tryFlock() {
            while (files.calls.flock(fd, LOCK_EX | LOCK_NB) != 0) {
                int errno = files.calls.errno();
                if (errno == EWOULDBLOCK) {
                    return false;
                }
                if (errno != EINTR) {
                    throw files.directory.failure(
                            errno, files.directory.path().resolve(LockDirectory.lockFileName(id)), "lock", "read");
                }
            }
            return true;
        }

        /** Tries to take the turn without waiting; false if another manager's waiter has it. */
        private boolean takeTurn() {
            return files.calls.fcntl(fd, F_OFD_SETLK, new long[] {F_WRLCK, TURN_OFFSET, 1, 0}) == 0;
        }

        private void releaseTurn() {
            turn = false;
            // Cannot fail for a lock we hold on an open descriptor; if it did, the others ignore
            // the turn after MAX_YIELD_NANOS, and closing the descriptor drops it.
            files.calls.fcntl(fd, F_OFD_SETLK, new long[] {F_UNLCK, TURN_OFFSET, 1, 0});
        }

        /**
         * Records a new hold: a fresh stamp, and no token drawn yet. Plain writes: the holder
         * table's volatile write that follows publishes them to the manager's other threads.
         */
        void held() {
            token = 0;
            holding = true;
            holdStamp = files.holdStamps.incrementAndGet();
        }

        /**
         * Returns the current hold's fencing token, drawing it on first use: the lock file's
         * content is the last token drawn for this ID by any process (8 bytes, little endian; an
         * empty file counts as 0). Raising it happens under the {@code flock} we hold, and is
         * flushed to disk before the token is handed out, so a token is never handed out twice,
         * even across a power loss.
         */
        long token() {
            // A ReentrantLock, not a monitor: drawing blocks in pread, pwrite and fdatasync.
            tokenLock.lock();
            try {
                return drawToken();
            } finally {
                tokenLock.unlock();
            }
        }

        private long drawToken() {
            if (token == 0) {
                if (!holding) {
                    throw new IllegalMonitorStateException("Lock " + id + " was unlocked while its fencing token was"
                            + " being asked for; ask for the token while the lock is held");
                }
                Path file = files.directory.path().resolve(LockDirectory.lockFileName(id));
                ByteBuffer bytes = ByteBuffer.allocate(Long.BYTES).order(ByteOrder.LITTLE_ENDIAN);
                long read = files.calls.pread(fd, bytes.array(), Long.BYTES, 0);
                if (read < 0) {
                    throw files.directory.failure(files.calls.errno(), file, "read the fencing counter of", "read");
                }
                if (read != 0 && read != Long.BYTES) {
                    throw new LockStorageException(
                            file.toString(),
                            "Lock file " + file + " holds " + read + " bytes, but a lock file is empty or holds"
                                    + " the 8-byte fencing counter; another program wrote to it: remove the lock"
                                    + " directory when no process uses it, or restore the file");
                }
                if (read == 0) {
                    // The first token of this file: its directory entry must be on disk before
                    // the token is handed out, or a power loss could lose the file (with the
                    // counter) and the same token be drawn again.
                    files.directory.syncDirectory();
                }
                long next = (read == 0 ? 0 : bytes.getLong(0)) + 1;
                bytes.putLong(0, next);
                if (files.calls.pwrite(fd, bytes.array(), Long.BYTES, 0) != Long.BYTES
                        || files.calls.fdatasync(fd) != 0) {
                    throw files.directory.failure(files.calls.errno(), file, "write the fencing counter of", "write");
                }
                token = next;
            }
            return token;
        }

        /** Drops the {@code flock}, then lets the next thread of this manager in. */
        void unlock() {
            tokenLock.lock();
            try {
                holding = false;
            } finally {
                tokenLock.unlock();
            }
            try {
                unflock();
            } finally {
                mutex.release();
            }
        }

        /** Drops the {@code flock} and wakes the waiters of other processes, if any are registered. */
        private void unflock() {
            if (files.calls.flock(fd, LOCK_UN) != 0) {
                throw files.directory.failure(
                        files.calls.errno(),
                        files.directory.path().resolve(LockDirectory.lockFileName(id)),
                        "unlock",
                        "read");
            }
            WakeTable wake = files.wake;
            if (wake != null) {
                wake.wakeIfWaiting(id);
            }
        }
    }
}
