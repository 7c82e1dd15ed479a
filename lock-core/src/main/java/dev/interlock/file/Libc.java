package dev.interlock.file;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;
import org.jspecify.annotations.Nullable;

/**
 * The C library calls of the file backend, bound by JNA direct mapping (a direct call costs about
 * 40 ns on top of the system call; an interface-mapped one about four times that). Every path
 * operation is relative to a directory descriptor and uses {@code O_NOFOLLOW}, so no symbolic
 * link inside a lock directory is ever followed; every descriptor is {@code O_CLOEXEC}, so child
 * processes never inherit (and never keep alive) a lock.
 *
 * <p>Failed calls return -1; the caller reads {@link Calls#errno()} right after, which JNA
 * preserves per thread for every native call. The flag values differ between architectures; only
 * Linux on x86-64 and aarch64 is supported ({@link FileCalls#nativePlatform()}): elsewhere, and
 * when asked to, {@link FileCalls#of} chooses {@link PortableFileCalls}, which uses the flag
 * constants of this class but none of its calls. The calls live in {@link Calls}, so that the
 * constants can be used without loading JNA's native part: the portable mode works where it
 * cannot be loaded.
 *
 * @author Interlock team
 */
final class Libc {

    /** Whether the flag values are aarch64's (the generic table) rather than x86-64's. */
    private static final boolean AARCH64 = "aarch64".equals(System.getProperty("os.arch"));

    static final int AT_FDCWD = -100;

    static final int O_RDONLY = 0;

    static final int O_WRONLY = 1;

    static final int O_RDWR = 2;

    static final int O_CREAT = 0x40;

    static final int O_EXCL = 0x80;

    static final int O_TRUNC = 0x200;

    static final int O_CLOEXEC = 0x80000;

    /** 0x10000 on x86-64, 0x4000 on aarch64 (and most other architectures). */
    static final int O_DIRECTORY = AARCH64 ? 0x4000 : 0x10000;

    /** 0x20000 on x86-64, 0x8000 on aarch64 (and most other architectures). */
    static final int O_NOFOLLOW = AARCH64 ? 0x8000 : 0x20000;

    static final int LOCK_SH = 1;

    static final int LOCK_EX = 2;

    static final int LOCK_NB = 4;

    static final int LOCK_UN = 8;

    static final int SEEK_END = 2;

    static final int F_OFD_GETLK = 36;

    static final int F_OFD_SETLK = 37;

    static final short F_WRLCK = 1;

    static final short F_UNLCK = 2;

    static final int EPERM = 1;

    static final int ENOENT = 2;

    static final int EINTR = 4;

    static final int EWOULDBLOCK = 11;

    static final int EACCES = 13;

    static final int EEXIST = 17;

    static final int EROFS = 30;

    static final int ELOOP = 40;

    /** {@code futex(2)} operation: sleep while the word holds the expected value. Shared, not private. */
    static final long FUTEX_WAIT = 0;

    /** {@code futex(2)} operation: wake sleepers on the word, in any process. */
    static final long FUTEX_WAKE = 1;

    /** {@code SYS_futex}: 202 on x86-64, 98 on aarch64 (the generic table). */
    static final long SYS_FUTEX = AARCH64 ? 98 : 202;

    private Libc() {}

    /**
     * The calls, bound when this class is first used: only {@link NativeFileCalls} and the {@link
     * WakeTable} use it, after {@link FileCalls#of} has loaded JNA's native part ({@code
     * NativeAccess.requireJna}).
     */
    static final class Calls {

        static {
            Native.register(NativeLibrary.getInstance(Platform.C_LIBRARY_NAME));
        }

        private Calls() {}

        /**
         * Returns the {@code errno} of the last native call of this thread.
         *
         * @return the error number
         */
        static int errno() {
            return Native.getLastError();
        }

        /**
         * Describes an error number as the C library does, with the number.
         *
         * @param errno the error number
         * @return for example {@code "Permission denied (errno 13)"}
         */
        static String describe(int errno) {
            return strerror(errno) + " (errno " + errno + ")";
        }

        static native int openat(int dirFd, String path, int flags, int mode);

        static native int close(int fd);

        static native int flock(int fd, int operation);

        /**
         * {@code fcntl} with a {@code struct flock}, which on x86-64 and aarch64 is: {@code short
         * l_type, short l_whence} (SEEK_SET = 0), {@code off_t l_start} at 8, {@code off_t l_len} at 16,
         * {@code pid_t l_pid} at 24 (0 for open-file-description locks); as four longs, the first holds
         * the type in its low 16 bits (little endian).
         */
        static native int fcntl(int fd, int command, long[] flock);

        static native long pread(int fd, byte[] buffer, long count, long offset);

        static native long pwrite(int fd, byte[] buffer, long count, long offset);

        static native long lseek(int fd, long offset, int whence);

        static native int ftruncate(int fd, long length);

        static native int fchmod(int fd, int mode);

        static native int fdatasync(int fd);

        static native int fsync(int fd);

        static native int renameat(int oldDirFd, String oldPath, int newDirFd, String newPath);

        static native int geteuid();

        /**
         * {@code syscall(2)}, used only for {@code futex(2)}: {@code syscall(SYS_FUTEX, address,
         * operation, value, timeout, 0, 0)}, where {@code timeout} is a relative {@code struct
         * timespec} (two longs: seconds, nanoseconds) or null.
         */
        static native long syscall(
                long number,
                long address,
                long operation,
                long value,
                long @Nullable [] timeout,
                long address2,
                long value3);

        private static native String strerror(int errno);
    }
}
