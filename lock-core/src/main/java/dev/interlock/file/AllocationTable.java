package dev.interlock.file;

import static dev.interlock.file.Libc.LOCK_UN;
import static dev.interlock.file.Libc.O_RDWR;

import dev.interlock.LockAlreadyAllocatedException;
import dev.interlock.LockNotAllocatedException;
import dev.interlock.LocksExhaustedException;
import dev.interlock.ManagerClosedException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.OptionalInt;
import java.util.SortedMap;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;

/**
 * The allocation state of a lock directory: which IDs are allocated (a bitmap in the {@code
 * allocation} file) and which names are bound to them (the {@code names} file). Every change and
 * every read that decides something happens under the directory lock, an exclusive {@code flock}
 * on the allocation file (plus this object's {@code mutex}, because threads of one manager share one
 * descriptor and an {@code flock} does not exclude its own descriptor).
 *
 * <p>The lock files themselves are not touched here: allocation state is kept apart from them,
 * so freeing an ID never deletes or replaces the file a holder has locked.
 *
 * @author Interlock team
 */
final class AllocationTable implements AutoCloseable {

    /** Bytes before the bitmap: the free-word hint, the names generation and epoch, reserved space. */
    static final int HEADER_BYTES = 64;

    private static final int HINT_OFFSET = 0;

    private static final int GENERATION_OFFSET = 8;

    private static final int EPOCH_OFFSET = 16;

    /** The page size the page cache writes back in; no order holds between two pages. */
    private static final long PAGE_BYTES = 4096;

    /** Bitmap words read per call while looking for a free ID: 4 KiB, 32,768 IDs. */
    private static final int SCAN_WORDS = 512;

    /** Bitmap words read per call while counting: 64 KiB, 524,288 IDs. */
    private static final int COUNT_WORDS = 8192;

    /** Words needed for IDs 0 .. Integer.MAX_VALUE. */
    private static final long MAX_WORDS = (Integer.MAX_VALUE >>> 6) + 1L;

    private final LockDirectory directory;

    private final Path file;

    private final String owner;

    private final int fd;

    /**
     * Serializes this manager's threads around the descriptors (a {@code ReentrantLock}, not a
     * monitor: holders block in {@code flock}, {@code openat} and {@code fdatasync}, and threads
     * waiting for a monitor pin their carrier on JDK 21 to 23 when they are virtual).
     */
    private final ReentrantLock mutex = new ReentrantLock();

    /** The name table as last read under the directory lock, tagged with its generation. */
    private final NameTable names;

    private boolean closed;

    private AllocationTable(LockDirectory directory, int fd, String owner) {
        this.directory = directory;
        this.file = directory.path().resolve(LockDirectory.ALLOCATION_FILE);
        this.owner = owner;
        this.fd = fd;
        this.names = new NameTable(directory.path().resolve(LockDirectory.NAMES_FILE));
    }

    /** Writes an empty header into a new allocation file; the caller holds the directory lock. */
    static void initialize(LockDirectory directory, int fd) {
        Path file = directory.path().resolve(LockDirectory.ALLOCATION_FILE);
        if (directory.calls().ftruncate(fd, 0) != 0) {
            throw directory.failure(directory.calls().errno(), file, "truncate", "write");
        }
        directory.writeFully(fd, new byte[HEADER_BYTES], 0, file);
    }

    /**
     * Opens the allocation state of an initialized directory.
     *
     * @param owner the manager, for {@link ManagerClosedException} messages
     */
    static AllocationTable open(LockDirectory directory, String owner) {
        return new AllocationTable(directory, directory.openFile(LockDirectory.ALLOCATION_FILE, O_RDWR), owner);
    }

    /** Allocates the lowest free ID. */
    int allocateLowestFree() {
        mutex.lock();
        try {
            lock();
            try {
                int id = allocateLowestFreeLocked();
                sync();
                return id;
            } finally {
                unlock();
            }
        } finally {
            mutex.unlock();
        }
    }

    /**
     * Every word before the hint is full (free lowers the hint, allocation only fills words), so
     * the search starts there instead of at word 0; it reads the bitmap in 4 KiB steps and usually
     * finishes in the first.
     */
    private int allocateLowestFreeLocked() {
        long word = readLong(HINT_OFFSET);
        long end = directory.calls().lseek(fd, 0, Libc.SEEK_END);
        if (word < 0 || end < 0 || word > (end - HEADER_BYTES) / Long.BYTES) {
            // Beyond the bitmap: written by someone else (allocation never puts it there). Start
            // at word 0, which is always safe, instead of skipping free IDs.
            word = 0;
        }
        ByteBuffer chunk = ByteBuffer.allocate(SCAN_WORDS * Long.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        while (word < MAX_WORDS) {
            directory.readFully(fd, chunk.array(), wordOffset(word), file);
            for (int i = 0; i < SCAN_WORDS; i++) {
                long bits = chunk.getLong(i * Long.BYTES);
                if (bits != -1L) {
                    long id = (word + i) * Long.SIZE + Long.numberOfTrailingZeros(~bits);
                    if (id > Integer.MAX_VALUE) {
                        break;
                    }
                    writeLong(wordOffset(word + i), bits | (1L << id));
                    CrashPoints.reached("allocate.bit-set");
                    // The hint only after the bit: a crash in between leaves it lower, which is safe.
                    writeLong(HINT_OFFSET, word + i);
                    return (int) id;
                }
            }
            word += SCAN_WORDS;
        }
        throw new LocksExhaustedException(Integer.MAX_VALUE, "none: every ID up to Integer.MAX_VALUE is in use");
    }

    /** Allocates {@code id}, failing if it is allocated. */
    void allocate(int id) {
        mutex.lock();
        try {
            lock();
            try {
                long bits = readLong(wordOffset(id >>> 6));
                if ((bits & (1L << id)) != 0) {
                    throw new LockAlreadyAllocatedException(id);
                }
                writeLong(wordOffset(id >>> 6), bits | (1L << id));
                sync();
            } finally {
                unlock();
            }
        } finally {
            mutex.unlock();
        }
    }

    /**
     * Frees {@code id} and the name bound to it, in an order of which every prefix is safe: the
     * name first (a crash after it leaks the ID, never leaves a name on a free ID), then the hint
     * is lowered (a low hint is always safe: the search only starts earlier), and the bit is
     * cleared last (before it, the ID simply stays allocated).
     */
    void deallocate(int id) {
        mutex.lock();
        try {
            lock();
            try {
                long bits = readLong(wordOffset(id >>> 6));
                if ((bits & (1L << id)) == 0) {
                    throw new LockNotAllocatedException(id);
                }
                if (currentNames().nameOf(id) != null) {
                    appendName(NameTable.unbindRecord(id));
                }
                CrashPoints.reached("free.name-unbound");
                if ((id >>> 6) < readLong(HINT_OFFSET)) {
                    writeLong(HINT_OFFSET, id >>> 6);
                    // Across a power loss the page cache keeps no order between pages: the lowered
                    // hint must be on disk before a cleared bit on another page can be.
                    if (wordOffset(id >>> 6) >= PAGE_BYTES) {
                        sync();
                    }
                }
                CrashPoints.reached("free.hint-lowered");
                writeLong(wordOffset(id >>> 6), bits & ~(1L << id));
                sync();
                CrashPoints.reached("free.bit-cleared");
            } finally {
                unlock();
            }
        } finally {
            mutex.unlock();
        }
    }

    /**
     * Frees every ID and forgets every name: names first, then the hint goes to 0 (always safe),
     * and the bitmap is cut off last, so that a crash after any step leaves no name on a free ID
     * and no free ID below the hint.
     */
    void deallocateAll() {
        mutex.lock();
        try {
            lock();
            try {
                rewriteNames(new byte[0]);
                CrashPoints.reached("freeAll.names-rewritten");
                writeLong(HINT_OFFSET, 0);
                sync();
                CrashPoints.reached("freeAll.hint-reset");
                if (directory.calls().ftruncate(fd, HEADER_BYTES) != 0) {
                    throw directory.failure(directory.calls().errno(), file, "truncate", "write");
                }
                sync();
                CrashPoints.reached("freeAll.truncated");
            } finally {
                unlock();
            }
        } finally {
            mutex.unlock();
        }
    }

    /** Counts the allocated IDs: a population count over the bitmap, 8 bytes per 64 IDs. */
    int countAllocated() {
        mutex.lock();
        try {
            lock();
            try {
                long end = directory.calls().lseek(fd, 0, Libc.SEEK_END);
                if (end < 0) {
                    throw directory.failure(directory.calls().errno(), file, "read", "read");
                }
                ByteBuffer chunk = ByteBuffer.allocate(COUNT_WORDS * Long.BYTES).order(ByteOrder.LITTLE_ENDIAN);
                int count = 0;
                for (long offset = HEADER_BYTES; offset < end; offset += chunk.capacity()) {
                    directory.readFully(fd, chunk.array(), offset, file);
                    for (int i = 0; i < COUNT_WORDS; i++) {
                        count += Long.bitCount(chunk.getLong(i * Long.BYTES));
                    }
                }
                return count;
            } finally {
                unlock();
            }
        } finally {
            mutex.unlock();
        }
    }

    /**
     * Returns the ID bound to {@code name}, allocating the lowest free ID and binding it first if
     * there is none. A cached table whose generation still matches the file's answers without
     * taking the directory lock.
     */
    int bindName(String name) {
        mutex.lock();
        try {
            ensureOpen();
            if (names.generation() == readLong(GENERATION_OFFSET)) {
                OptionalInt cached = names.idOf(name);
                if (cached.isPresent()) {
                    return cached.getAsInt();
                }
            }
            lock();
            try {
                NameTable current = currentNames();
                OptionalInt bound = current.idOf(name);
                if (bound.isPresent()) {
                    return bound.getAsInt();
                }
                // The ID first, then the name: a crash in between leaks the ID, never binds a free one.
                // The bit is flushed before the name is written, so that holds across a power loss.
                int id = allocateLowestFreeLocked();
                sync();
                appendName(NameTable.bindRecord(id, name));
                return id;
            } finally {
                unlock();
            }
        } finally {
            mutex.unlock();
        }
    }

    /**
     * Brings the name table up to date, for a batch of {@link #nameOf} look-ups or {@link
     * #names()}. A copy whose generation matches the header is used as it is, without any lock.
     * Otherwise the log is read under a <em>shared</em> {@code flock} on the allocation file,
     * which excludes writers only: a writer raises the generation before it changes the log (so
     * that a crash leaves readers re-reading rather than trusting a stale copy), so an unchanged
     * generation cannot tell a reader that no record was being written during its read, and
     * overwriting a record cut short by a crash could be read half old, half new.
     */
    void refreshNames() {
        mutex.lock();
        try {
            ensureOpen();
            if (names.generation() != readLong(GENERATION_OFFSET)) {
                directory.lockShared(fd, LockDirectory.ALLOCATION_FILE);
                try {
                    currentNames();
                } finally {
                    unlock();
                }
            }
        } finally {
            mutex.unlock();
        }
    }

    /**
     * Returns the ID bound to {@code name}, refreshing the copy of the name log first when another
     * process changed it (under a shared lock, as {@link #refreshNames()} does).
     */
    OptionalInt boundId(String name) {
        mutex.lock();
        try {
            refreshNames();
            return names.idOf(name);
        } finally {
            mutex.unlock();
        }
    }

    /** Returns every binding as of the last refresh, sorted by name. */
    SortedMap<String, Integer> names() {
        mutex.lock();
        try {
            return names.byName();
        } finally {
            mutex.unlock();
        }
    }

    /** Returns the name bound to {@code id} as of the last refresh, if any. */
    @Nullable
    String nameOf(int id) {
        mutex.lock();
        try {
            return names.nameOf(id);
        } finally {
            mutex.unlock();
        }
    }

    /**
     * Brings the name table up to date and returns it: only the lines appended since it was read
     * are applied, unless the file was rewritten (a new epoch). The caller holds the directory lock.
     */
    private NameTable currentNames() {
        long generation = readLong(GENERATION_OFFSET);
        if (names.generation() != generation) {
            long epoch = readLong(EPOCH_OFFSET);
            if (names.epoch() != epoch) {
                names.reset(epoch);
            }
            byte[] log = directory.readFile(LockDirectory.NAMES_FILE, names.length());
            names.apply(log == null ? new byte[0] : log, generation);
        }
        return names;
    }

    /**
     * Appends one record to the name log, compacting the log when it has grown too long. The
     * generation is raised before the file changes: a crash in between only makes other processes
     * re-read an unchanged table, while the other order could leave them trusting a stale copy.
     */
    private void appendName(byte[] record) {
        long generation = readLong(GENERATION_OFFSET) + 1;
        writeLong(GENERATION_OFFSET, generation);
        directory.writeAndTruncate(LockDirectory.NAMES_FILE, record, names.length());
        names.apply(record, generation);
        if (names.needsCompaction()) {
            rewriteNames(names.compacted());
        }
    }

    /** Replaces the name log with {@code content} in a new epoch. */
    private void rewriteNames(byte[] content) {
        long generation = readLong(GENERATION_OFFSET) + 1;
        long epoch = readLong(EPOCH_OFFSET) + 1;
        writeLong(GENERATION_OFFSET, generation);
        writeLong(EPOCH_OFFSET, epoch);
        directory.replaceFile(LockDirectory.NAMES_FILE, content);
        names.reset(epoch);
        names.apply(content, generation);
    }

    private Path namesFile() {
        return directory.path().resolve(LockDirectory.NAMES_FILE);
    }

    /** Flushes the allocation file to disk (see {@link LockDirectory#sync}). */
    private void sync() {
        directory.sync(fd, LockDirectory.ALLOCATION_FILE);
    }

    private void lock() {
        ensureOpen();
        directory.lockExclusively(fd, LockDirectory.ALLOCATION_FILE);
    }

    private void unlock() {
        directory.calls().flock(fd, LOCK_UN);
    }

    private void ensureOpen() {
        if (closed) {
            throw new ManagerClosedException(owner);
        }
    }

    private static long wordOffset(long word) {
        return HEADER_BYTES + word * Long.BYTES;
    }

    private long readLong(long offset) {
        byte[] bytes = new byte[Long.BYTES];
        directory.readFully(fd, bytes, offset, file);
        return ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong();
    }

    private void writeLong(long offset, long value) {
        byte[] bytes = ByteBuffer.allocate(Long.BYTES)
                .order(ByteOrder.LITTLE_ENDIAN)
                .putLong(value)
                .array();
        directory.writeFully(fd, bytes, offset, file);
    }

    @Override
    public void close() {
        mutex.lock();
        try {
            if (!closed) {
                closed = true;
                directory.calls().close(fd);
            }
        } finally {
            mutex.unlock();
        }
    }
}
