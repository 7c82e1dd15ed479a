package dev.interlock.file;

import com.sun.jna.Native;
import com.sun.jna.Pointer;
import dev.interlock.LockStorageException;
import java.io.IOException;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.jspecify.annotations.Nullable;

/**
 * The {@code wake} file of a lock directory, mapped shared: one futex word and one waiter count per
 * slot, so that a release in one process wakes the waiters of other processes instead of leaving
 * them to poll. Lock {@code id} uses slot {@code id % }{@value #SLOTS}; locks that share a slot
 * share its word, which only causes spurious wake-ups.
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                 Wake sequence (int32, the futex word)         |  slot * 64 + 0
 *  |                 Waiters (int32)                               |  slot * 64 + 4
 *  |                 Unused, zero (56 bytes)                      ...
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * <p>The protocol, in native byte order:
 *
 * <ul>
 *   <li>A waiter for another process's release adds one to its slot's waiters, then in a loop
 *       reads the sequence, tries the {@code flock}, and sleeps in {@code FUTEX_WAIT} on the
 *       sequence it read, for at most one backoff slice; it subtracts its one when it leaves.
 *   <li>A releaser, after {@code LOCK_UN}, reads the waiters; only when they are not zero does it
 *       add one to the sequence and {@code FUTEX_WAKE} every sleeper of the slot. An uncontended
 *       release so pays one load.
 *   <li>No wake-up is lost: a waiter whose try failed did it before the release (the kernel orders
 *       the two {@code flock} calls), so the release reads its registration and raises the sequence
 *       after the waiter read it, and the {@code FUTEX_WAIT} returns at once.
 *   <li>A holder killed by a signal is released by the kernel, which wakes nobody: its waiters
 *       notice at the end of their slice (at most {@link LockFiles.LockFile#MAX_BACKOFF_NANOS}),
 *       as they did before this file existed. A waiter killed while registered leaves its count
 *       behind, which only makes later releases of that slot pay a {@code FUTEX_WAKE}; damaged
 *       counts and sequences have the same, or no, effect.
 * </ul>
 *
 * <p>Native mode only: the portable calls create the file (the directory format is the same in both
 * modes) but never map it, and poll as before. The mapping is a {@link MappedByteBuffer}, unmapped
 * when it becomes unreachable, so no thread can touch it after it is gone.
 *
 * @author Interlock team
 */
final class WakeTable {

    /** Slots in the file; a power of two. */
    static final int SLOTS = 64;

    /** Bytes per slot: a cache line, so releasers of different slots never share one. */
    static final int SLOT_LENGTH = 64;

    /** The file's size. */
    static final int SIZE = SLOTS * SLOT_LENGTH;

    private static final int SEQUENCE_OFFSET = 0;

    private static final int WAITERS_OFFSET = 4;

    private static final VarHandle INT = MethodHandles.byteBufferViewVarHandle(int[].class, ByteOrder.nativeOrder());

    /** {@code Thread::isVirtual} on JDK 21+, or null on 17: compiled against 17, found at run time. */
    private static final @Nullable MethodHandle IS_VIRTUAL = findIsVirtual();

    private final MappedByteBuffer buffer;

    private final long address;

    private WakeTable(MappedByteBuffer buffer) {
        this.buffer = buffer;
        this.address = Pointer.nativeValue(Native.getDirectBufferPointer(buffer));
    }

    /**
     * Maps the wake file of {@code directory}, open as {@code fd}, through {@code /proc/self/fd}
     * (the descriptor, not the path, so that a swapped path changes nothing).
     *
     * @throws LockStorageException if the file has another size than {@value #SIZE} bytes or cannot be mapped
     */
    static WakeTable map(Path file, int fd) {
        try (FileChannel channel =
                FileChannel.open(Path.of("/proc/self/fd/" + fd), StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            long size = channel.size();
            if (size != SIZE) {
                // Mapping read-write would grow a short file; refuse instead.
                throw new LockStorageException(
                        file.toString(),
                        "Wake file " + file + " has " + size + " bytes, but Interlock writes it with " + SIZE
                                + "; another program changed it: remove the lock directory when no process uses"
                                + " it, or truncate the file to " + SIZE + " bytes");
            }
            return new WakeTable(channel.map(FileChannel.MapMode.READ_WRITE, 0, SIZE));
        } catch (IOException ex) {
            throw new LockStorageException(
                    file.toString(),
                    "Cannot map wake file " + file + ": " + ex + "; check that the file system allows shared"
                            + " mappings, or use FileLockManager.Options.withPortableLocking(true)",
                    ex);
        }
    }

    private static int slot(int id) {
        return (id & (SLOTS - 1)) * SLOT_LENGTH;
    }

    /** Counts one more waiter of lock {@code id}'s slot; a volatile read-modify-write. */
    void register(int id) {
        INT.getAndAdd(buffer, slot(id) + WAITERS_OFFSET, 1);
    }

    /** Counts one waiter less; pairs with {@link #register}. */
    void unregister(int id) {
        INT.getAndAdd(buffer, slot(id) + WAITERS_OFFSET, -1);
    }

    /** Returns the slot's sequence, to be read before each attempt and passed to {@link #await}. */
    int sequenceVolatile(int id) {
        return (int) INT.getVolatile(buffer, slot(id) + SEQUENCE_OFFSET);
    }

    /**
     * Sleeps in the kernel until a release of the slot raises its sequence past {@code sequence},
     * or {@code timeoutNanos} pass, or a signal arrives; returns at once if the sequence already
     * moved. The caller tries the lock again in every case.
     */
    void await(int id, int sequence, long timeoutNanos) {
        long[] timespec = {timeoutNanos / 1_000_000_000L, timeoutNanos % 1_000_000_000L};
        Libc.syscall(Libc.SYS_FUTEX, address + slot(id) + SEQUENCE_OFFSET, Libc.FUTEX_WAIT, sequence, timespec, 0, 0);
    }

    /**
     * Called after a release of lock {@code id}: if the slot has waiters, raises its sequence and
     * wakes all of them (those of other locks of the slot try and sleep again). A volatile load
     * otherwise.
     */
    void wakeIfWaiting(int id) {
        int slot = slot(id);
        if ((int) INT.getVolatile(buffer, slot + WAITERS_OFFSET) != 0) {
            INT.getAndAdd(buffer, slot + SEQUENCE_OFFSET, 1);
            Libc.syscall(
                    Libc.SYS_FUTEX, address + slot + SEQUENCE_OFFSET, Libc.FUTEX_WAKE, Integer.MAX_VALUE, null, 0, 0);
        }
    }

    /**
     * Returns whether the current thread may sleep in {@code futex}: not a virtual thread, which
     * would pin its carrier there; those park in the JVM and poll.
     */
    static boolean maySleepInKernel() {
        if (IS_VIRTUAL == null) {
            return true;
        }
        try {
            return !(boolean) IS_VIRTUAL.invokeExact(Thread.currentThread());
        } catch (Throwable ex) {
            throw new IllegalStateException("Thread.isVirtual() failed", ex);
        }
    }

    private static @Nullable MethodHandle findIsVirtual() {
        try {
            return MethodHandles.publicLookup()
                    .findVirtual(Thread.class, "isVirtual", MethodType.methodType(boolean.class));
        } catch (NoSuchMethodException | IllegalAccessException ex) {
            return null;
        }
    }
}
