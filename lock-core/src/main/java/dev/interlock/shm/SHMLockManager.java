package dev.interlock.shm;

import dev.interlock.HeldLock;
import dev.interlock.LockStorageException;
import dev.interlock.Locker;
import dev.interlock.RecoveryListener;
import dev.interlock.support.AbstractLocker;
import dev.interlock.support.AbstractManager;
import dev.interlock.support.NativeAccess;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import java.util.SortedMap;
import java.util.stream.IntStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The production lock manager: robust multiprocess locks in a POSIX shared-memory segment
 * ({@code /dev/shm/<name>} on Linux), the Java counterpart of podman's {@code SHMLockManager}.
 *
 * <ul>
 *   <li><b>Fast.</b> An uncontended {@code lock()}+{@code unlock()} is two compare-and-set
 *       instructions on a mapped word: no system call, no allocation. A contended waiter spins
 *       briefly, then sleeps in the kernel ({@code futex}); {@code unlock()} wakes only when
 *       somebody sleeps.
 *   <li><b>Robust.</b> A process killed while holding locks never wedges them: every manager
 *       instance holds a kernel file lock for as long as it is open, and a waiter that finds the
 *       holder's file lock gone takes the lock over, logs a warning and tells the {@link
 *       RecoveryListener}. Waiters look when the kernel reports that the holder's process exited
 *       (a pidfd per holder process, watched by one thread per manager; Linux 5.3 and later), so
 *       a takeover usually follows a {@code kill -9} within milliseconds, and in any case every
 *       quarter of {@link Options#recoveryTimeout()} (250 ms by default), which bounds it. The file
 *       lock decides, never the pid, so this stays correct when pids are reused and across pid
 *       namespaces.
 *   <li><b>Observable.</b> {@link #locksHeld()} shows, for every process, which locks are held,
 *       by which pid, since when, and under which name.
 *   <li><b>Safe to share.</b> The segment is created with mode {@code 0600}; opening a segment
 *       of another user or one that others may write is refused unless explicitly allowed.
 * </ul>
 *
 * <p>The lock count is rounded up to a whole allocation word ({@link #roundedLockCount(int)}).
 * The segment layout is versioned and specified in {@code docs/shm-layout.md}. Only Linux on
 * x86-64 or AArch64 is supported; elsewhere the factories fail at once.
 *
 * <pre>{@code
 * try (SHMLockManager manager = SHMLockManager.openOrCreate("/my-app-locks", 1024)) {
 *     Locker locker = manager.namedLock("invoice-42");
 *     try (LockHandle held = locker.acquire()) {
 *         // exclusive across every process that opened "/my-app-locks"
 *     }
 * }
 * }</pre>
 *
 * @author Interlock team
 * @since 0.1.0
 */
public final class SHMLockManager extends AbstractManager {

    private static final Logger logger = LoggerFactory.getLogger(SHMLockManager.class);

    /** How often {@link #openOrCreate} retries when another process removes or creates the segment meanwhile. */
    private static final int OPEN_OR_CREATE_ATTEMPTS = 3;

    private final String path;

    private final ShmSegment segment;

    private final ShmLayout layout;

    private final Session session;

    private final LockWords words;

    private final Allocator allocator;

    private final RecoveryListener listener;

    private SHMLockManager(String path, SegmentFiles.Opened opened, Session session, Options options) {
        super(OptionalInt.of(opened.layout().lockCount));
        this.path = path;
        this.segment = opened.segment();
        this.layout = opened.layout();
        this.session = session;
        this.listener = options.recoveryListener();
        this.words =
                new LockWords(segment, session, layout.lockCount, options.recoveryTimeout(), this::recovered, this);
        this.allocator = new Allocator(segment, layout, words, session::punchHole, path, toString());
        CoarseClock.acquire();
    }

    /**
     * Creates the segment {@code path} with {@code numLocks} locks (rounded up) and default
     * options; fails if it exists.
     *
     * @param path a POSIX shared-memory name: one leading {@code /}, no other, at most 255
     *     characters, for example {@code "/my-app-locks"}
     * @param numLocks the lock count, 1 to 1,048,576, rounded up by {@link #roundedLockCount}
     * @return the manager, attached to the new segment
     * @throws IllegalArgumentException if the name or the count is invalid
     * @throws LockStorageException if the segment exists or cannot be created
     * @throws UnsupportedOperationException if this is not Linux on x86-64 or AArch64
     * @throws dev.interlock.NativeAccessException if JNA's native part cannot be loaded
     */
    public static SHMLockManager create(String path, int numLocks) {
        return create(path, numLocks, Options.defaults());
    }

    /**
     * Opens the existing segment {@code path} with default options.
     *
     * @param path the segment's POSIX shared-memory name
     * @param numLocks the lock count the segment was created with (before or after rounding)
     * @return the manager, attached to the segment
     * @throws IllegalArgumentException if the name or the count is invalid
     * @throws dev.interlock.LockCountMismatchException if the segment has another lock count
     * @throws dev.interlock.LockStorageAccessException if the segment belongs to another user, is
     *     writable by others, or cannot be opened for lack of permission
     * @throws LockStorageException if the segment does not exist or is not a valid segment of this
     *     layout version
     * @throws UnsupportedOperationException if this is not Linux on x86-64 or AArch64
     * @throws dev.interlock.NativeAccessException if JNA's native part cannot be loaded
     */
    public static SHMLockManager open(String path, int numLocks) {
        return open(path, numLocks, Options.defaults());
    }

    /**
     * Opens the segment {@code path}, creating it first if it does not exist, with default
     * options; the usual choice for applications.
     *
     * @param path the segment's POSIX shared-memory name
     * @param numLocks the lock count
     * @return the manager, attached to the segment
     * @throws IllegalArgumentException if the name or the count is invalid
     * @throws LockStorageException as {@link #open(String, int)} and {@link #create(String, int)}
     * @throws UnsupportedOperationException if this is not Linux on x86-64 or AArch64
     * @throws dev.interlock.NativeAccessException if JNA's native part cannot be loaded
     */
    public static SHMLockManager openOrCreate(String path, int numLocks) {
        return openOrCreate(path, numLocks, Options.defaults());
    }

    /**
     * Creates the segment {@code path}; see {@link #create(String, int)}. The segment file gets
     * exactly {@link Options#mode()}, independent of the umask.
     *
     * @param path the segment's POSIX shared-memory name
     * @param numLocks the lock count
     * @param options mode, recovery timeout, foreign-owner policy and recovery listener
     * @return the manager, attached to the new segment
     */
    public static SHMLockManager create(String path, int numLocks, Options options) {
        int lockCount = checkArguments(path, numLocks, options);
        if (!SegmentFiles.createAndPublish(path, new ShmLayout(lockCount), options.mode())) {
            throw new LockStorageException(
                    path,
                    "Shared-memory segment " + path + " already exists (" + SegmentFiles.fileOf(path) + "): open it"
                            + " with SHMLockManager.open or openOrCreate, or, when no process uses it, remove it"
                            + " with SHMLockManager.unlink(\"" + path + "\")");
        }
        return attach(path, lockCount, options);
    }

    /**
     * Opens the existing segment {@code path}; see {@link #open(String, int)}.
     *
     * @param path the segment's POSIX shared-memory name
     * @param numLocks the lock count the segment was created with
     * @param options recovery timeout, foreign-owner policy, recovery listener, and the mode that
     *     is acceptable for the segment
     * @return the manager, attached to the segment
     */
    public static SHMLockManager open(String path, int numLocks, Options options) {
        return attach(path, checkArguments(path, numLocks, options), options);
    }

    /**
     * Opens the segment {@code path}, creating it first if it does not exist; see {@link
     * #openOrCreate(String, int)}.
     *
     * @param path the segment's POSIX shared-memory name
     * @param numLocks the lock count
     * @param options mode, recovery timeout, foreign-owner policy and recovery listener
     * @return the manager, attached to the segment
     */
    public static SHMLockManager openOrCreate(String path, int numLocks, Options options) {
        int lockCount = checkArguments(path, numLocks, options);
        for (int attempt = 1; ; attempt++) {
            if (SegmentFiles.createAndPublish(path, new ShmLayout(lockCount), options.mode())) {
                return attach(path, lockCount, options);
            }
            try {
                return attach(path, lockCount, options);
            } catch (LockStorageException ex) {
                // Removed by another process between our create and open: try again.
                if (attempt == OPEN_OR_CREATE_ATTEMPTS || SegmentFiles.exists(path)) {
                    throw ex;
                }
            }
        }
    }

    /**
     * Removes the segment {@code path}, as podman's {@code unlinkSHMLock} does. Processes that
     * still have it open keep using the old segment, while new ones create a new one: remove a
     * segment only when no process uses it.
     *
     * @param path the segment's POSIX shared-memory name
     * @return {@code true} if it was removed, {@code false} if it did not exist
     * @throws IllegalArgumentException if the name is invalid
     * @throws LockStorageException if it exists but cannot be removed
     */
    public static boolean unlink(String path) {
        return SegmentFiles.unlink(path);
    }

    /**
     * Returns the lock count a segment created with {@code numLocks} has: {@code numLocks}
     * rounded up to a multiple of 64, one allocation word (podman rounds up to 32; 7 becomes 64
     * here).
     *
     * @param numLocks the requested lock count, 1 to 1,048,576
     * @return the rounded lock count
     * @throws IllegalArgumentException if {@code numLocks} is out of range
     */
    public static int roundedLockCount(int numLocks) {
        return ShmLayout.roundedLockCount(numLocks);
    }

    private static int checkArguments(String path, int numLocks, Options options) {
        Objects.requireNonNull(options, "options");
        checkPlatform(System.getProperty("os.name", "unknown"), System.getProperty("os.arch", "unknown"));
        SegmentFiles.fileOf(path);
        int lockCount = ShmLayout.roundedLockCount(numLocks);
        NativeAccess.requireJna("The shared-memory lock backend");
        return lockCount;
    }

    /**
     * Fails unless this is Linux on x86-64 or AArch64, before any storage is touched: the futex
     * system call number, the {@code struct flock} layout and the {@code open} flags are known
     * only there, and failing later would leave a created segment behind.
     */
    static void checkPlatform(String os, String arch) {
        if (!os.startsWith("Linux")) {
            throw new UnsupportedOperationException("The shared-memory lock backend needs Linux (futex,"
                    + " open-file-description locks, /dev/shm), but this is " + os
                    + ". The file backend needs Linux too, so here only the single-process InMemoryManager"
                    + " (interlock.backend=memory) is available: run the processes that must coordinate on Linux");
        }
        if (!NativeAccess.knownArchitecture(arch)) {
            throw new UnsupportedOperationException("The shared-memory lock backend supports Linux on x86-64"
                    + " (amd64) and AArch64, but this is Linux on " + arch + ", where its system call numbers and"
                    + " structure layouts are not known; the file backend has the same limit, so use the"
                    + " single-process InMemoryManager (interlock.backend=memory) here, or run on x86-64 or"
                    + " AArch64");
        }
    }

    private static SHMLockManager attach(String path, int lockCount, Options options) {
        SegmentFiles.Opened opened = SegmentFiles.open(path, lockCount, options);
        try {
            Session session = Session.claim(
                    path,
                    opened.segment(),
                    opened.layout(),
                    opened.fd(),
                    LockWords.livenessCheckNanos(options.recoveryTimeout()));
            return new SHMLockManager(path, opened, session, options);
        } catch (RuntimeException ex) {
            NativeCalls.close(opened.fd());
            throw ex;
        }
    }

    /** Returns the segment's name. */
    String path() {
        return path;
    }

    /** Returns this instance's owner slot in the segment; for tests and diagnostics. */
    int slot() {
        return session.slot();
    }

    /** Returns whether this manager was closed; for waiters, which then stop waiting. */
    boolean closed() {
        return isClosed();
    }

    private void recovered(int id, int deadToken, OptionalLong deadPid, long heldSinceMillis, long deadFencingToken) {
        long millis = heldSinceMillis & ~ShmLayout.TOKEN_DRAWN_BIT;
        Optional<Instant> heldSince = millis > 0 ? Optional.of(Instant.ofEpochMilli(millis)) : Optional.empty();
        String pid = deadPid.isPresent() ? String.valueOf(deadPid.getAsLong()) : "unknown";
        String since = heldSince.map(Instant::toString).orElse("an unknown time");
        if (id < 0) {
            if (deadToken == words.sessionToken()) {
                logger.warn(
                        "The allocator lock word of shared-memory segment {} named this manager's own session {}"
                                + " while none of its threads held it: the segment was corrupted; took the lock over"
                                + " and repairing the allocation state",
                        path,
                        deadToken);
            } else {
                logger.warn(
                        "Took over the allocator lock of shared-memory segment {} from a dead holder (pid {},"
                                + " session {}, held since {}); repairing the allocation state it may have left"
                                + " half-written",
                        path,
                        pid,
                        deadToken,
                        since);
            }
            allocator.repair();
            return;
        }
        HeldLock dead = new HeldLock(
                id,
                allocator.nameOf(id),
                deadPid,
                heldSince,
                Optional.empty(),
                deadFencingToken > 0 ? OptionalLong.of(deadFencingToken) : OptionalLong.empty());
        logger.warn(
                "Recovered lock {}{} of shared-memory segment {} from a dead holder: pid {} (session {}) died"
                        + " holding it since {}; the data it protects may be half-updated",
                id,
                dead.name().map(name -> " ('" + name + "')").orElse(""),
                path,
                pid,
                deadToken,
                since);
        try {
            listener.lockRecovered(dead);
        } catch (RuntimeException ex) {
            logger.warn("RecoveryListener {} failed for recovered lock {}; the lock is held anyway", listener, id, ex);
        }
    }

    /**
     * Wakes the sleepers on every lock word, the allocator's included, that holds the token of a
     * session whose process exited; for {@link HolderWatcher}.
     *
     * @return whether any word still holds it
     */
    boolean wakeHeldBy(int deadToken) {
        boolean held = words.wakeIfHeldBy(ShmLayout.ALLOCATOR_RECORD_OFFSET, -1, deadToken);
        for (int id = 0; id < layout.lockCount; id++) {
            held |= words.wakeIfHeldBy(layout.recordOffset(id), id, deadToken);
        }
        return held;
    }

    @Override
    protected AbstractLocker lockerFor(int id) {
        return new SHMLock(this, id, words, layout.recordOffset(id));
    }

    @Override
    protected int allocateLowestFree() {
        return allocator.allocateLowestFree();
    }

    @Override
    protected void allocate(int id) {
        allocator.allocate(id);
    }

    @Override
    protected void deallocate(int id) {
        allocator.deallocate(id);
    }

    @Override
    protected void deallocateAll() {
        allocator.deallocateAll();
    }

    @Override
    protected OptionalInt countAvailable() {
        return OptionalInt.of(layout.lockCount - allocator.countAllocated());
    }

    @Override
    protected int countAllocated() {
        return allocator.countAllocated();
    }

    @Override
    protected List<HeldLock> readHeld() {
        List<HeldLock> held = new ArrayList<>();
        for (int id = 0; id < layout.lockCount; id++) {
            int record = layout.recordOffset(id);
            int word = segment.intAcquire(record);
            if ((word & ShmLayout.TOKEN_MASK) != 0) {
                long stamp = segment.longPlain(record + ShmLayout.HELD_SINCE_OFFSET);
                long since = stamp & ~ShmLayout.TOKEN_DRAWN_BIT;
                // A hold that has not asked for its token has none yet; the counter is an earlier hold's.
                long token = (stamp & ShmLayout.TOKEN_DRAWN_BIT) != 0 ? words.lastToken(record) : 0;
                held.add(new HeldLock(
                        id,
                        allocator.nameOf(id),
                        session.pidOf(word & ShmLayout.TOKEN_MASK),
                        since > 0 ? Optional.of(Instant.ofEpochMilli(since)) : Optional.empty(),
                        Optional.empty(),
                        token > 0 ? OptionalLong.of(token) : OptionalLong.empty()));
            }
        }
        return held;
    }

    /** Reads every lock word for this manager's session token, each with a volatile load. */
    @Override
    protected int[] idsHeldHere() {
        return IntStream.range(0, layout.lockCount)
                .filter(id -> words.heldHere(layout.recordOffset(id)))
                .toArray();
    }

    /** Reads the name slots without the allocator lock, each under its name version (section 7). */
    @Override
    protected SortedMap<String, Integer> readNames() {
        return allocator.readNames();
    }

    @Override
    protected Locker bindName(String name) {
        return lockerFor(allocator.bindName(name));
    }

    /** Reads the name index without the allocator lock; see {@code Allocator.boundId}. */
    @Override
    protected OptionalInt boundId(String key) {
        return allocator.boundId(key);
    }

    /**
     * Ends this instance's session: closing its descriptor drops the kernel file lock that marks
     * it alive. The mapping itself is released by the garbage collector: Java 17 has no safe
     * explicit unmap, and unmapping while another thread of this process still touches a lock
     * word would crash the JVM.
     *
     * <p>The session ends only after every allocator operation of this manager's threads has
     * finished: the allocator lock is not in the holder table that {@code close()} releases, and
     * ending the session under a thread that is half-way through an allocation would let another
     * process take the allocator over from a live holder.
     */
    @Override
    protected void closeStorage() {
        allocator.closeWhenIdle();
        words.closeWatcher();
        session.close();
        CoarseClock.release();
    }

    @Override
    public String toString() {
        return "SHMLockManager(" + path + ", " + layout.lockCount + " locks)";
    }

    /**
     * Options for creating and opening a segment. Immutable: every {@code with…} method returns a
     * copy.
     *
     * @author Interlock team
     * @since 0.1.0
     */
    public static final class Options {

        /** Shortest recovery timeout: a waiter makes one {@code F_OFD_GETLK} per quarter of it. */
        static final Duration MIN_RECOVERY_TIMEOUT = Duration.ofMillis(10);

        /** Longest recovery timeout: far below what overflows a long of nanoseconds. */
        static final Duration MAX_RECOVERY_TIMEOUT = Duration.ofDays(365);

        private static final Options DEFAULTS = new Options(
                PosixFilePermissions.fromString("rw-------"), Duration.ofMillis(250), false, RecoveryListener.NONE);

        private final Set<PosixFilePermission> mode;

        private final Duration recoveryTimeout;

        private final boolean allowForeignOwner;

        private final RecoveryListener recoveryListener;

        private Options(
                Set<PosixFilePermission> mode,
                Duration recoveryTimeout,
                boolean allowForeignOwner,
                RecoveryListener recoveryListener) {
            this.mode = Set.copyOf(mode);
            this.recoveryTimeout = recoveryTimeout;
            this.allowForeignOwner = allowForeignOwner;
            this.recoveryListener = recoveryListener;
        }

        /**
         * Returns the defaults: mode {@code 0600}, recovery timeout 250 ms, foreign owners
         * refused, no recovery listener.
         *
         * @return the default options
         */
        public static Options defaults() {
            return DEFAULTS;
        }

        /**
         * Returns a copy with another file mode. {@code create} gives the segment exactly this
         * mode; {@code open} accepts a segment that grants group or others any permission only if
         * this mode grants the same.
         *
         * <p>Any permission for group or others gives them the power to hold or block every lock:
         * a read-only descriptor is enough to take the file locks that decide liveness. So group
         * and others each get read and write, or nothing: {@code rw-------} (the default) or
         * {@code rw-rw----} to share the locks with a group on purpose.
         *
         * @param mode the permissions; must include owner read and write, and for group and others
         *     either read and write or neither
         * @return the copy
         * @throws IllegalArgumentException if the owner could not read and write the segment, or
         *     group or others would get only one of read and write
         */
        public Options withMode(Set<PosixFilePermission> mode) {
            String text = PosixFilePermissions.toString(mode);
            if (!mode.contains(PosixFilePermission.OWNER_READ) || !mode.contains(PosixFilePermission.OWNER_WRITE)) {
                throw new IllegalArgumentException("Segment mode " + text
                        + " must let the owner read and write (rw-------), or no process could use the locks");
            }
            checkAllOrNothing(mode, PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE, "its group");
            checkAllOrNothing(mode, PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, "other users");
            return new Options(mode, recoveryTimeout, allowForeignOwner, recoveryListener);
        }

        private static void checkAllOrNothing(
                Set<PosixFilePermission> mode, PosixFilePermission read, PosixFilePermission write, String who) {
            if (mode.contains(read) != mode.contains(write)) {
                throw new IllegalArgumentException("Segment mode " + PosixFilePermissions.toString(mode) + " gives "
                        + who + " " + (mode.contains(read) ? "read without write" : "write without read")
                        + ", but any access is enough to hold or block every lock (a read-only descriptor can take"
                        + " the file locks that decide liveness) while not enough to use them: grant read and"
                        + " write to share the locks on purpose (rw-rw----), or nothing (rw-------)");
            }
        }

        /**
         * Returns a copy with another recovery timeout: the bound on how long a waiter takes to
         * notice that the holder died and take the lock over. Waiters check the holder a few
         * times per timeout, with one system call each.
         *
         * @param bound 10 ms to 365 days
         * @return the copy
         * @throws IllegalArgumentException if {@code bound} is outside that range
         */
        public Options withRecoveryTimeout(Duration bound) {
            if (bound.isZero() || bound.isNegative()) {
                throw new IllegalArgumentException(
                        "Recovery timeout must be positive, but was " + bound + "; the default is 250 ms");
            }
            if (bound.compareTo(MIN_RECOVERY_TIMEOUT) < 0) {
                throw new IllegalArgumentException("Recovery timeout " + bound + " is below the minimum of "
                        + MIN_RECOVERY_TIMEOUT.toMillis() + " ms: waiters check the holder every quarter of it with"
                        + " a system call, so a shorter one only burns CPU; use at least "
                        + MIN_RECOVERY_TIMEOUT.toMillis() + " ms (the default is 250 ms)");
            }
            if (bound.compareTo(MAX_RECOVERY_TIMEOUT) > 0) {
                throw new IllegalArgumentException("Recovery timeout " + bound + " is above the maximum of "
                        + MAX_RECOVERY_TIMEOUT.toDays() + " days (it must fit in a long of nanoseconds, and a dead"
                        + " holder's lock would stay wedged that long); use a shorter one (the default is 250 ms)");
            }
            return new Options(mode, bound, allowForeignOwner, recoveryListener);
        }

        /**
         * Returns a copy that accepts (or refuses) a segment owned by another user, or one whose
         * mode grants group or others access that {@link #mode()} does not. Accepting one lets any
         * user who can open it (even read-only) hold or block every lock, and any who can write it
         * corrupt them: allow it only for a segment that is deliberately shared between users.
         *
         * @param allow whether to accept such a segment
         * @return the copy
         */
        public Options withAllowForeignOwner(boolean allow) {
            return new Options(mode, recoveryTimeout, allow, recoveryListener);
        }

        /**
         * Returns a copy with a listener told about every lock taken over from a dead holder.
         *
         * @param listener the listener, called on the recovering thread while it holds the lock
         * @return the copy
         */
        public Options withRecoveryListener(RecoveryListener listener) {
            return new Options(mode, recoveryTimeout, allowForeignOwner, Objects.requireNonNull(listener, "listener"));
        }

        /**
         * Returns the segment file mode.
         *
         * @return the permissions, unmodifiable
         */
        public Set<PosixFilePermission> mode() {
            return mode;
        }

        /**
         * Returns the bound on taking a lock over from a dead holder.
         *
         * @return the recovery timeout
         */
        public Duration recoveryTimeout() {
            return recoveryTimeout;
        }

        /**
         * Returns whether a segment owned by another user or writable by others is accepted.
         *
         * @return {@code true} if accepted
         */
        public boolean allowForeignOwner() {
            return allowForeignOwner;
        }

        /**
         * Returns the listener told about recovered locks.
         *
         * @return the listener
         */
        public RecoveryListener recoveryListener() {
            return recoveryListener;
        }

        @Override
        public String toString() {
            return "Options(mode=" + PosixFilePermissions.toString(mode) + ", recoveryTimeout=" + recoveryTimeout
                    + ", allowForeignOwner=" + allowForeignOwner + ")";
        }
    }
}
