package dev.interlock.shm;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import com.sun.jna.Platform;

/**
 * The few Linux calls the shared-memory backend needs and Java lacks: {@code futex(2)} for
 * sleeping and waking on a lock word, open-file-description locks ({@code fcntl(2)} {@code
 * F_OFD_*}) for liveness, and the effective uid. All are bound with JNA <em>direct mapping</em>
 * ({@link Native#register}), which costs a quarter of interface mapping per call.
 *
 * <p>Only the lock-free paths stay in Java: every call here is made where a system call is needed
 * anyway (waiting, waking a waiter, attaching, checking a holder's liveness).
 *
 * @author Interlock team
 */
final class NativeCalls {

    /** {@code futex(2)} operation: sleep if the word still holds the expected value. */
    private static final long FUTEX_WAIT = 0;

    /** {@code futex(2)} operation: wake waiters. Not {@code FUTEX_PRIVATE_FLAG}: the word is shared. */
    private static final long FUTEX_WAKE = 1;

    static final int F_OFD_GETLK = 36;

    static final int F_OFD_SETLK = 37;

    static final short F_WRLCK = 1;

    static final short F_UNLCK = 2;

    private static final int O_RDWR = 2;

    /** 0x20000 on x86-64 but 0x8000 on AArch64, where 0x20000 means O_LARGEFILE. */
    private static final int O_NOFOLLOW = Platform.isARM() ? 0x8000 : 0x20000;

    private static final int O_CLOEXEC = 0x80000;

    static final int EACCES = 13;

    static final int EAGAIN = 11;

    /** {@code SYS_futex}, which differs between architectures. */
    private static final long SYS_FUTEX = futexSyscallNumber();

    static {
        Native.register(NativeCalls.class, Platform.C_LIBRARY_NAME);
    }

    private NativeCalls() {}

    /**
     * Sleeps while the 32-bit word at {@code address} holds {@code expected}, at most {@code
     * timeoutNanos}. Returns early on a wake-up, a signal, or when the word differs; the caller
     * re-reads the word in every case, so the result is not needed.
     */
    static void futexWait(long address, int expected, long timeoutNanos) {
        long[] timespec = {timeoutNanos / 1_000_000_000L, timeoutNanos % 1_000_000_000L};
        syscall(SYS_FUTEX, address, FUTEX_WAIT, expected, timespec, 0, 0);
    }

    /** Wakes at most {@code count} threads sleeping on the word at {@code address}, in any process. */
    static void futexWake(long address, int count) {
        syscall(SYS_FUTEX, address, FUTEX_WAKE, count, null, 0, 0);
    }

    /** Opens {@code path} read-write, close-on-exec, not following a symbolic link. */
    static int openReadWrite(String path) throws LastErrorException {
        return open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
    }

    /**
     * Makes an open-file-description lock call on one byte at {@code offset}.
     *
     * @param command {@link #F_OFD_SETLK} or {@link #F_OFD_GETLK}
     * @param type {@link #F_WRLCK} or {@link #F_UNLCK}
     * @return the lock type after the call: for {@code F_OFD_GETLK}, {@link #F_UNLCK} when nobody
     *     else holds a conflicting lock
     */
    static short ofdLock(int fd, int command, short type, long offset) throws LastErrorException {
        // struct flock on x86-64 and AArch64: short l_type, short l_whence (SEEK_SET = 0),
        // off_t l_start at 8, off_t l_len at 16, pid_t l_pid at 24 (must be 0 for OFD locks).
        long[] flock = {type & 0xFFFFL, offset, 1, 0};
        fcntl(fd, command, flock);
        return (short) flock[0];
    }

    /** {@code fallocate(2)} mode: deallocate the range, keep the file size. */
    private static final int FALLOC_FL_KEEP_SIZE_PUNCH_HOLE = 0x01 | 0x02;

    /** Frees the pages of a page-aligned range of the file of {@code fd}; they then read as zero. */
    static void punchHole(int fd, long offset, long length) throws LastErrorException {
        fallocate(fd, FALLOC_FL_KEEP_SIZE_PUNCH_HOLE, offset, length);
    }

    private static native int fallocate(int fd, int mode, long offset, long length) throws LastErrorException;

    private static long futexSyscallNumber() {
        String arch = System.getProperty("os.arch");
        switch (arch) {
            case "amd64":
            case "x86_64":
                return 202;
            case "aarch64":
                return 98;
            default:
                throw new UnsupportedOperationException("The shared-memory lock backend supports x86-64 and AArch64"
                        + " Linux, but this is " + arch
                        + "; the file backend has the same limit, so run on one of those"
                        + " architectures");
        }
    }

    private static native long syscall(
            long number, long address, long operation, long value, long[] timeout, long address2, long value3);

    /** {@code SYS_pidfd_open}: 434 on every architecture (Linux 5.3 and later). */
    private static final long SYS_PIDFD_OPEN = 434;

    static final int ESRCH = 3;

    static final int EPERM = 1;

    static final int ENOSYS = 38;

    /** {@code poll(2)} event: readable; for a pidfd, the process has exited. */
    static final short POLLIN = 0x1;

    private static final int EFD_NONBLOCK = 0x800;

    private static final int EFD_CLOEXEC = 0x80000;

    /**
     * Opens a pidfd for process {@code pid} ({@code pidfd_open(2)}, Linux 5.3 and later): a
     * descriptor that {@code poll} reports readable once the process has exited. Close-on-exec.
     *
     * @throws LastErrorException with {@link #ESRCH} if no such process exists (in our pid
     *     namespace), {@code ENOSYS} on older kernels, {@code EPERM} under a seccomp filter
     */
    static int pidfdOpen(int pid) throws LastErrorException {
        return (int) syscall(SYS_PIDFD_OPEN, pid, 0);
    }

    private static native long syscall(long number, long pid, long flags) throws LastErrorException;

    /** Creates a non-blocking, close-on-exec {@code eventfd(2)} with a count of zero. */
    static int eventfdOpen() throws LastErrorException {
        return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    }

    private static native int eventfd(int initval, int flags) throws LastErrorException;

    /** Adds one to the count of an eventfd, which makes it readable; never blocks. */
    static void eventfdSignal(int fd) {
        write(fd, new long[] {1}, 8);
    }

    /** Resets the count of a non-blocking eventfd to zero. */
    static void eventfdDrain(int fd) {
        read(fd, new long[1], 8);
    }

    private static native long write(int fd, long[] buffer, long count);

    private static native long read(int fd, long[] buffer, long count);

    /**
     * Waits until one of the descriptors is readable, at most {@code timeoutMillis} (-1: no limit).
     *
     * @param pollfds {@code struct pollfd} entries, two ints each: the descriptor, then the
     *     requested events in the low 16 bits and the returned ones in the high 16 bits
     * @return the number of entries with returned events, 0 on a timeout, -1 on a signal
     */
    static int poll(int[] pollfds, int count, int timeoutMillis) {
        return poll(pollfds, (long) count, timeoutMillis);
    }

    private static native int poll(int[] pollfds, long count, int timeoutMillis);

    private static native int open(String path, int flags) throws LastErrorException;

    /** Closes a descriptor from {@link #openReadWrite}; closing drops its OFD locks. */
    static native int close(int fd) throws LastErrorException;

    private static native int fcntl(int fd, int command, long[] flock) throws LastErrorException;

    /** Returns the effective user ID of this process. */
    static native int geteuid();
}
