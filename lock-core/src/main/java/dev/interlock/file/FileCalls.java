package dev.interlock.file;

import dev.interlock.HeldLock;
import dev.interlock.support.NativeAccess;
import java.io.IOException;
import java.util.List;
import java.util.function.IntFunction;
import org.jspecify.annotations.Nullable;

/**
 * The seam between the file backend and the operating system: the C-library calls that {@link
 * LockDirectory}, {@link AllocationTable} and {@link LockFiles} make, with C's conventions
 * (descriptors are {@code int}s, a failed call returns -1 and leaves its error number for {@link
 * #errno()}, flags are {@link Libc}'s constants). Everything above this seam — the directory
 * format, the allocation bitmap, the name log, the per-lock mutex and the polling of a lock held
 * elsewhere — is shared by both implementations:
 *
 * <ul>
 *   <li>{@link NativeFileCalls}: the real calls through JNA ({@code flock(2)}, {@code openat(2)},
 *       ...), Linux on x86-64 and aarch64;
 *   <li>{@link PortableFileCalls}: the same calls emulated on {@link java.nio.channels.FileChannel}
 *       and its JDK file locks, for every other platform, and on Linux when {@link
 *       FileLockManager.Options#withPortableLocking(boolean)} asks for it.
 * </ul>
 *
 * @author Interlock team
 */
interface FileCalls {

    /**
     * Returns the calls that {@code options} select: the portable ones off Linux (x86-64, aarch64)
     * or when asked for, the native ones otherwise.
     */
    static FileCalls of(FileLockManager.Options options) {
        if (options.portableLocking() || !nativePlatform()) {
            return PortableFileCalls.INSTANCE;
        }
        NativeAccess.requireJna("The file lock backend's native locking (flock)");
        return NativeFileCalls.INSTANCE;
    }

    /**
     * Returns whether this is Linux on x86-64 or aarch64, whose flag values and structure layouts
     * {@link Libc} knows. Asked from the system properties, without JNA, so that the portable
     * calls need no JNA at all and {@link NativeAccess#requireJna} reports a failure to load it.
     */
    static boolean nativePlatform() {
        return System.getProperty("os.name", "").startsWith("Linux")
                && NativeAccess.knownArchitecture(System.getProperty("os.arch", ""));
    }

    /** Returns whether these are the portable calls, for messages and {@code toString()}. */
    boolean portable();

    /** {@code openat(2)}: opens {@code path} relative to the directory descriptor {@code dirFd}. */
    int openat(int dirFd, String path, int flags, int mode);

    /** {@code close(2)}; drops the lock taken through {@code fd}, if any. */
    int close(int fd);

    /** {@code flock(2)} with {@link Libc#LOCK_EX}, {@link Libc#LOCK_SH}, {@link Libc#LOCK_UN}, {@link Libc#LOCK_NB}. */
    int flock(int fd, int operation);

    /**
     * {@code fcntl(2)} with {@link Libc#F_OFD_GETLK} or {@link Libc#F_OFD_SETLK} and a {@code
     * struct flock} (see {@link Libc.Calls#fcntl}): the open-file-description record lock that
     * marks a starving waiter's turn. The portable calls have no such lock and always fail, which
     * turns the turn (and so the fairness bound) off.
     */
    int fcntl(int fd, int command, long[] flock);

    /** {@code pread(2)}: returns the bytes read (0 at the end of the file) or -1. */
    long pread(int fd, byte[] buffer, long count, long offset);

    /** {@code pwrite(2)}: returns the bytes written or -1. */
    long pwrite(int fd, byte[] buffer, long count, long offset);

    /** {@code lseek(2)}, used only as {@code lseek(fd, 0, SEEK_END)}: the file's size. */
    long lseek(int fd, long offset, int whence);

    /** {@code ftruncate(2)}. */
    int ftruncate(int fd, long length);

    /** {@code fchmod(2)}; a no-op where the file system has no POSIX permissions. */
    int fchmod(int fd, int mode);

    /** {@code fdatasync(2)}. */
    int fdatasync(int fd);

    /** {@code fsync(2)}, of a file or a directory. */
    int fsync(int fd);

    /** {@code renameat(2)}: replaces {@code newPath} atomically. */
    int renameat(int oldDirFd, String oldPath, int newDirFd, String newPath);

    /** {@code geteuid(2)}, or -1 where users have no numeric IDs. */
    int geteuid();

    /** The error number of this thread's last failed call. */
    int errno();

    /** Describes an error number, for example {@code "Permission denied (errno 13)"}. */
    String describe(int errno);

    /**
     * Returns the permission bits and owner of the directory open as {@code dirFd}, read from the
     * descriptor where the platform allows it.
     *
     * @throws IOException if they cannot be read
     */
    DirectoryOwner owner(int dirFd) throws IOException;

    /**
     * Returns the locks held on the lock files of {@code directory}, ascending by ID.
     *
     * @param reader the {@code /proc/locks} reader of the directory, used by the native calls
     * @param names the name bound to an ID, if any
     */
    List<HeldLock> readHeld(HeldLockReader reader, IntFunction<@Nullable String> names);

    /**
     * The owner and permission bits of a directory.
     *
     * @param mode the permission bits ({@code 0777} at most)
     * @param uid the owner's user ID
     */
    record DirectoryOwner(int mode, int uid) {}
}
