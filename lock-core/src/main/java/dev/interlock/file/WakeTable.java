package dev.interlock.file;

import com.sun.jna.Native;
import com.sun.jna.Pointer;
import dev.interlock.LockStorageException;
import dev.interlock.support.VirtualThreads;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The {@code wake} file of a lock directory, mapped shared: one futex word per slot, so that a
 * release in one process wakes the waiters of other processes instead of leaving them to poll.
 * Lock {@code id} uses slot {@code id % }{@value #SLOTS}; locks that share a slot share its word,
 * which only causes spurious wake-ups.
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |S|               Wake sequence (31 bits; the futex word)       |  slot * 64 + 0
 *  |                 Unused, zero (60 bytes)                      ...
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * <p>The protocol, in native byte order:
 *
 * <ul>
 *   <li>A waiter for another process's release, in a loop: reads the word and, if bit 31 (S,
 *       "sleepers") is clear, sets it with a compare-and-set; tries the {@code flock}; and sleeps
 *       in {@code FUTEX_WAIT} on the word with S, for at most one backoff slice.
 *   <li>A releaser, after {@code LOCK_UN}, reads the word; only when S is set does it replace the
 *       word with the next sequence, S clear (compare-and-set), and {@code FUTEX_WAKE} every
 *       sleeper of the slot. An uncontended release pays one load; so does a release while the
 *       waiters are awake and trying (a lock hammered by one process while another waits pays one
 *       wake per sleep of the waiter, not one per release).
 *   <li>No wake-up is lost: a waiter whose try failed set S before the try, and did the try before
 *       the release (the kernel orders the two {@code flock} calls), so the releaser sees S and
 *       changes the word, and the {@code FUTEX_WAIT} on the old word returns at once or is woken.
 *   <li>A holder killed by a signal is released by the kernel, which wakes nobody: its waiters
 *       notice at the end of their slice (at most {@link LockFiles.LockFile#MAX_BACKOFF_NANOS}),
 *       as they did before this file existed. A waiter killed while asleep leaves S set: the next
 *       release of the slot pays one {@code FUTEX_WAKE} for nothing and clears it. Damaged words
 *       cost the same, or a wake-up skipped until the end of a slice.
 * </ul>
 *
 * <p>Native mode only: the first native open of a directory creates the file ({@code
 * LockDirectory.wakeTable}); the portable calls never create or map it, and poll as before. The
 * mapping is a {@link MappedByteBuffer}, unmapped when it becomes unreachable, so no thread can
 * touch it after it is gone.
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

    /** Bit 31 of the word: some waiter of the slot may be asleep on it. */
    static final int SLEEPERS = 0x8000_0000;

    private static final VarHandle INT = MethodHandles.byteBufferViewVarHandle(int[].class, ByteOrder.nativeOrder());

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

    /**
     * Returns the slot's word with {@link #SLEEPERS} set, setting it if needed; read before each
     * attempt and passed to {@link #await}. A volatile read, and a compare-and-set when the bit was
     * clear.
     */
    int announceSleeper(int id) {
        int slot = slot(id);
        while (true) {
            int word = (int) INT.getVolatile(buffer, slot);
            if ((word & SLEEPERS) != 0 || INT.compareAndSet(buffer, slot, word, word | SLEEPERS)) {
                return word | SLEEPERS;
            }
        }
    }

    /**
     * Sleeps in the kernel until a release of the slot changes its word from {@code word}, or
     * {@code timeoutNanos} pass, or a signal arrives; returns at once if the word already changed.
     * The caller tries the lock again in every case.
     */
    void await(int id, int word, long timeoutNanos) {
        long[] timespec = {timeoutNanos / 1_000_000_000L, timeoutNanos % 1_000_000_000L};
        Libc.Calls.syscall(Libc.SYS_FUTEX, address + slot(id), Libc.FUTEX_WAIT, word, timespec, 0, 0);
    }

    /**
     * Called after a release of lock {@code id}: if a waiter of the slot may be asleep, moves the
     * word to the next sequence with {@link #SLEEPERS} clear and wakes every sleeper of the slot
     * (those of other locks of the slot try and sleep again). A volatile load otherwise.
     */
    void wakeIfWaiting(int id) {
        int slot = slot(id);
        int word = (int) INT.getVolatile(buffer, slot);
        // A failed compare-and-set means another releaser moved the word and woke the sleepers.
        if ((word & SLEEPERS) != 0 && INT.compareAndSet(buffer, slot, word, (word + 1) & ~SLEEPERS)) {
            Libc.Calls.syscall(Libc.SYS_FUTEX, address + slot, Libc.FUTEX_WAKE, Integer.MAX_VALUE, null, 0, 0);
        }
    }

    /**
     * Returns whether the current thread may sleep in {@code futex}: not a virtual thread, which
     * would pin its carrier there; those park in the JVM and poll.
     */
    static boolean maySleepInKernel() {
        return !VirtualThreads.isVirtual(Thread.currentThread());
    }
}
