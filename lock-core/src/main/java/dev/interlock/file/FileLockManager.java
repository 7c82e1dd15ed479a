package dev.interlock.file;

import dev.interlock.HeldLock;
import dev.interlock.Locker;
import dev.interlock.support.AbstractLocker;
import dev.interlock.support.AbstractManager;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.Set;
import java.util.SortedMap;
import org.jspecify.annotations.Nullable;

/**
 * A lock manager whose locks are files in a directory, exclusive across processes, across
 * managers in one JVM and across threads: lock {@code N} is an exclusive {@code flock(2)} on the
 * file {@code N.lock}, which the kernel releases when its holder dies, even by {@code kill -9}.
 * This is the backend for hosts without shared memory, or for an operator who wants to see the
 * locks with {@code ls}.
 *
 * <p>On Linux (x86-64 and aarch64) locks are {@code flock(2)}s through JNA. Everywhere else
 * (macOS, Windows, other architectures) the same directory format is used with the JDK's own file
 * locks ({@link java.nio.channels.FileChannel#tryLock(long, long, boolean)}), also released by
 * the operating system when the holder dies; {@link Options#withPortableLocking(boolean)} or the
 * system property {@value Options#PORTABLE_PROPERTY} selects them on Linux too. In that portable
 * mode a lock held elsewhere is polled for (every 20 µs to 1 ms), {@link #locksHeld()} lists only
 * the locks held in this JVM, and where the file system has no POSIX permissions (Windows) the
 * directory's owner and mode are not checked. Processes of one directory must all use the same
 * mode: an {@code flock} and a JDK lock do not see each other.
 *
 * <p>IDs are unbounded ({@link #availableLocks()} is empty); {@link #allocateLock()} returns the
 * lowest free one from a bitmap, in time independent of how many are allocated. Allocation state
 * and names live in files of their own, changed only under a directory-wide lock, so allocation
 * and name binding are atomic across processes. Lock files are never deleted: {@link
 * Locker#free()} only clears a bit, so a holder of ID {@code N} and anyone who locks {@code N}
 * later always contend on the same file. {@link #locksHeld()} reports the holder's pid from
 * {@code /proc/locks}, but no acquisition time.
 *
 * <p>Security: the directory is created with mode {@code 0700} and files with {@code 0600} unless
 * {@link Options#withMode} says otherwise; no symbolic link inside the directory is ever followed;
 * a directory that belongs to another user, or that grants group or others any access the
 * configured mode does not (even read: {@code flock} works on a read-only descriptor), is refused
 * with {@link dev.interlock.LockStorageAccessException}.
 *
 * <p>The on-disk format is described in {@code docs/file-layout.md}.
 *
 * @author Interlock team
 * @since 0.1.0
 */
public final class FileLockManager extends AbstractManager {

    private final LockDirectory directory;

    private final AllocationTable allocation;

    private final LockFiles files;

    private final HeldLockReader heldLockReader;

    private FileLockManager(LockDirectory directory) {
        super(OptionalInt.empty());
        this.directory = directory;
        try {
            this.allocation = AllocationTable.open(directory, toString());
        } catch (RuntimeException ex) {
            directory.close();
            throw ex;
        }
        this.files = new LockFiles(directory, toString());
        this.heldLockReader = new HeldLockReader(directory.path());
    }

    /**
     * Returns whether this manager uses the JDK's file locks (the portable mode) rather than
     * {@code flock(2)}.
     *
     * @return {@code true} off Linux, or when {@link Options#withPortableLocking(boolean)} asked for it
     */
    public boolean portableLocking() {
        return directory.calls().portable();
    }

    /**
     * Creates the lock directory {@code dir} with the default {@link Options} and returns a manager
     * over it.
     *
     * @param dir the directory to create; its parent must exist
     * @return the manager
     * @throws dev.interlock.LockStorageException if {@code dir} exists or cannot be created
     * @throws dev.interlock.LockStorageAccessException if permission is denied
     * @throws dev.interlock.NativeAccessException with native locking, if JNA's native part cannot be
     *     loaded
     */
    public static FileLockManager create(Path dir) {
        return create(dir, Options.defaults());
    }

    /**
     * Opens the existing lock directory {@code dir} with the default {@link Options}.
     *
     * @param dir a directory made by {@link #create(Path)}
     * @return the manager
     * @throws dev.interlock.LockStorageException if {@code dir} does not exist, is not a directory,
     *     is a symbolic link or is not an Interlock lock directory
     * @throws dev.interlock.LockStorageAccessException if it belongs to another user, can be
     *     written by others, or permission is denied
     * @throws dev.interlock.NativeAccessException with native locking, if JNA's native part cannot be
     *     loaded
     */
    public static FileLockManager open(Path dir) {
        return open(dir, Options.defaults());
    }

    /**
     * Opens the lock directory {@code dir}, creating it (or initializing it, if it exists and is
     * empty) first, with the default {@link Options}.
     *
     * @param dir the directory
     * @return the manager
     * @throws dev.interlock.LockStorageException if {@code dir} is not a directory, is a symbolic
     *     link, or holds files that are not Interlock's
     * @throws dev.interlock.LockStorageAccessException if it belongs to another user, can be
     *     written by others, or permission is denied
     * @throws dev.interlock.NativeAccessException with native locking, if JNA's native part cannot be
     *     loaded
     */
    public static FileLockManager openOrCreate(Path dir) {
        return openOrCreate(dir, Options.defaults());
    }

    /**
     * Creates the lock directory {@code dir} and returns a manager over it.
     *
     * @param dir the directory to create; its parent must exist
     * @param options the file mode and ownership rules
     * @return the manager
     * @throws dev.interlock.LockStorageException if {@code dir} exists or cannot be created
     * @throws dev.interlock.LockStorageAccessException if permission is denied
     * @throws dev.interlock.NativeAccessException with native locking, if JNA's native part cannot be
     *     loaded
     */
    public static FileLockManager create(Path dir, Options options) {
        return new FileLockManager(LockDirectory.open(dir, options, LockDirectory.OpenMode.CREATE));
    }

    /**
     * Opens the existing lock directory {@code dir}.
     *
     * @param dir a directory made by {@link #create(Path, Options)}
     * @param options the file mode and ownership rules
     * @return the manager
     * @throws dev.interlock.LockStorageException if {@code dir} does not exist, is not a directory,
     *     is a symbolic link or is not an Interlock lock directory
     * @throws dev.interlock.LockStorageAccessException if it belongs to another user, can be
     *     written by others, or permission is denied
     * @throws dev.interlock.NativeAccessException with native locking, if JNA's native part cannot be
     *     loaded
     */
    public static FileLockManager open(Path dir, Options options) {
        return new FileLockManager(LockDirectory.open(dir, options, LockDirectory.OpenMode.OPEN));
    }

    /**
     * Opens the lock directory {@code dir}, creating it (or initializing it, if it exists and is
     * empty) first.
     *
     * @param dir the directory
     * @param options the file mode and ownership rules
     * @return the manager
     * @throws dev.interlock.LockStorageException if {@code dir} is not a directory, is a symbolic
     *     link, or holds files that are not Interlock's
     * @throws dev.interlock.LockStorageAccessException if it belongs to another user, can be
     *     written by others, or permission is denied
     * @throws dev.interlock.NativeAccessException with native locking, if JNA's native part cannot be
     *     loaded
     */
    public static FileLockManager openOrCreate(Path dir, Options options) {
        return new FileLockManager(LockDirectory.open(dir, options, LockDirectory.OpenMode.OPEN_OR_CREATE));
    }

    /**
     * Returns the lock directory.
     *
     * @return its absolute path
     */
    public Path directory() {
        return directory.path();
    }

    @Override
    protected AbstractLocker lockerFor(int id) {
        return new FileLock(this, files, id);
    }

    @Override
    protected int allocateLowestFree() {
        return allocation.allocateLowestFree();
    }

    @Override
    protected void allocate(int id) {
        allocation.allocate(id);
    }

    @Override
    protected void deallocate(int id) {
        allocation.deallocate(id);
    }

    @Override
    protected void deallocateAll() {
        allocation.deallocateAll();
    }

    @Override
    protected OptionalInt countAvailable() {
        return OptionalInt.empty();
    }

    @Override
    protected int countAllocated() {
        return allocation.countAllocated();
    }

    @Override
    protected List<HeldLock> readHeld() {
        allocation.refreshNames();
        return directory.calls().readHeld(heldLockReader, allocation::nameOf);
    }

    /**
     * Returns this process's copy of the name log, brought up to date under a shared {@code flock}
     * only when another process changed it (see {@code AllocationTable.refreshNames}).
     */
    @Override
    protected SortedMap<String, Integer> readNames() {
        allocation.refreshNames();
        return allocation.names();
    }

    @Override
    protected Locker bindName(String name) {
        return lockerFor(allocation.bindName(name));
    }

    /** Looks the name up in this process's copy of the name log, refreshed only when it changed. */
    @Override
    protected OptionalInt boundId(String key) {
        return allocation.boundId(key);
    }

    @Override
    protected void closeStorage() {
        files.close();
        allocation.close();
        directory.close();
    }

    /** Returns how many lock files this manager has open; for tests of the descriptor bound. */
    int openLockFiles() {
        return files.openCount();
    }

    @Override
    public String toString() {
        return "FileLockManager(" + directory.path() + (portableLocking() ? ", portable locking" : "") + ")";
    }

    /**
     * Options for opening a lock directory: the file mode and whether a directory owned by another
     * user is acceptable. Immutable; the {@code with} methods return modified copies.
     *
     * @author Interlock team
     * @since 0.1.0
     */
    public static final class Options {

        /**
         * The system property that, set to {@code true}, makes the {@linkplain #defaults() default
         * options} use the JDK's file locks on Linux too, as {@link #withPortableLocking(boolean)}
         * does.
         */
        public static final String PORTABLE_PROPERTY = "interlock.file.portable-locking";

        private static final Options DEFAULTS =
                new Options(PosixFilePermissions.fromString("rw-------"), false, Boolean.getBoolean(PORTABLE_PROPERTY));

        private final Set<PosixFilePermission> mode;

        private final boolean allowForeignOwner;

        private final boolean portableLocking;

        private Options(Set<PosixFilePermission> mode, boolean allowForeignOwner, boolean portableLocking) {
            this.mode = Set.copyOf(mode);
            this.allowForeignOwner = allowForeignOwner;
            this.portableLocking = portableLocking;
        }

        /**
         * Returns the defaults: files {@code rw-------} (so the directory is {@code rwx------}),
         * a directory owned by another user is refused, and locks are {@code flock}s on Linux
         * unless the system property {@value #PORTABLE_PROPERTY} is {@code true}.
         *
         * @return the default options
         */
        public static Options defaults() {
            return DEFAULTS;
        }

        /**
         * Returns a copy with another file mode, for example {@code rw-rw----} to share the locks
         * with a group. The directory gets the same permissions plus execute for every class that
         * may read or write. An existing directory may grant group or others only the access this
         * mode grants them (any access, even read-only, lets them {@code flock} a file and so hold
         * or block every lock); so group and others each get read and write, or nothing.
         *
         * @param fileMode the mode of lock and state files; must include owner read and write, no
         *     execute permission, and for group and others either read and write or neither
         * @return the modified copy
         * @throws IllegalArgumentException if the mode lacks owner read or write, has execute bits,
         *     or gives group or others only one of read and write
         */
        public Options withMode(Set<PosixFilePermission> fileMode) {
            Objects.requireNonNull(fileMode, "fileMode");
            String text = PosixFilePermissions.toString(fileMode);
            if (!fileMode.contains(PosixFilePermission.OWNER_READ)
                    || !fileMode.contains(PosixFilePermission.OWNER_WRITE)) {
                throw new IllegalArgumentException("File mode " + text
                        + " lacks owner read or write, which the lock files need; use for example rw------- or"
                        + " rw-rw----");
            }
            checkAllOrNothing(fileMode, PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE, "its group");
            checkAllOrNothing(
                    fileMode, PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, "other users");
            if (fileMode.contains(PosixFilePermission.OWNER_EXECUTE)
                    || fileMode.contains(PosixFilePermission.GROUP_EXECUTE)
                    || fileMode.contains(PosixFilePermission.OTHERS_EXECUTE)) {
                throw new IllegalArgumentException("File mode " + text
                        + " has execute bits, which lock files do not need (the directory gets them"
                        + " automatically); drop the x from the mode");
            }
            return new Options(fileMode, allowForeignOwner, portableLocking);
        }

        private static void checkAllOrNothing(
                Set<PosixFilePermission> mode, PosixFilePermission read, PosixFilePermission write, String who) {
            if (mode.contains(read) != mode.contains(write)) {
                throw new IllegalArgumentException("File mode " + PosixFilePermissions.toString(mode) + " gives " + who
                        + " " + (mode.contains(read) ? "read without write" : "write without read")
                        + ", but any access is enough to hold or block every lock (flock works on a read-only"
                        + " descriptor) while not enough to use them: grant read and write to share the locks on"
                        + " purpose (rw-rw----), or nothing (rw-------)");
            }
        }

        /**
         * Returns a copy that accepts (or refuses) a lock directory owned by another user, or one
         * whose mode grants group or others access that {@link #mode()} does not, for a directory
         * shared on purpose.
         *
         * @param allow whether to accept a foreign owner
         * @return the modified copy
         */
        public Options withAllowForeignOwner(boolean allow) {
            return new Options(mode, allow, portableLocking);
        }

        /**
         * Returns a copy that uses the JDK's file locks ({@link
         * java.nio.channels.FileChannel#tryLock(long, long, boolean)}) instead of {@code flock(2)}
         * on Linux, as every other platform does anyway; for tests of the portable mode, or a
         * directory shared with processes that run in that mode. Every process of one directory
         * must use the same mode: an {@code flock} and a JDK lock do not exclude each other.
         *
         * @param portable whether to use the JDK's file locks on Linux too
         * @return the modified copy
         */
        public Options withPortableLocking(boolean portable) {
            return new Options(mode, allowForeignOwner, portable);
        }

        /**
         * Returns whether the JDK's file locks are used on Linux too; off Linux they always are.
         *
         * @return {@code true} if asked for
         */
        public boolean portableLocking() {
            return portableLocking;
        }

        /**
         * Returns the mode of lock and state files.
         *
         * @return the permissions, unmodifiable
         */
        public Set<PosixFilePermission> mode() {
            return mode;
        }

        /**
         * Returns whether a directory owned by another user is accepted.
         *
         * @return {@code true} if accepted
         */
        public boolean allowForeignOwner() {
            return allowForeignOwner;
        }

        /** The directory's permissions: the file mode plus execute for each class that has any access. */
        Set<PosixFilePermission> directoryMode() {
            Set<PosixFilePermission> directoryMode = EnumSet.copyOf(mode);
            if (mode.contains(PosixFilePermission.GROUP_READ) || mode.contains(PosixFilePermission.GROUP_WRITE)) {
                directoryMode.add(PosixFilePermission.GROUP_EXECUTE);
            }
            if (mode.contains(PosixFilePermission.OTHERS_READ) || mode.contains(PosixFilePermission.OTHERS_WRITE)) {
                directoryMode.add(PosixFilePermission.OTHERS_EXECUTE);
            }
            directoryMode.add(PosixFilePermission.OWNER_EXECUTE);
            return directoryMode;
        }

        int fileModeBits() {
            return bits(mode);
        }

        int directoryModeBits() {
            return bits(directoryMode());
        }

        private static int bits(Set<PosixFilePermission> permissions) {
            int bits = 0;
            for (PosixFilePermission permission : permissions) {
                bits |= 0400 >> permission.ordinal();
            }
            return bits;
        }

        @Override
        public boolean equals(@Nullable Object other) {
            return other instanceof Options
                    && ((Options) other).mode.equals(mode)
                    && ((Options) other).allowForeignOwner == allowForeignOwner
                    && ((Options) other).portableLocking == portableLocking;
        }

        @Override
        public int hashCode() {
            return Objects.hash(mode, allowForeignOwner, portableLocking);
        }

        @Override
        public String toString() {
            return "Options(mode " + PosixFilePermissions.toString(mode) + ", allowForeignOwner " + allowForeignOwner
                    + ", portableLocking " + portableLocking + ")";
        }
    }
}
