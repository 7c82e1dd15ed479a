package dev.interlock.benchmarks;

import dev.interlock.Manager;
import dev.interlock.file.FileLockManager;
import dev.interlock.memory.InMemoryManager;
import dev.interlock.shm.SHMLockManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The lock managers under test. Each creates fresh storage in a location of its own (so that
 * benchmarks never meet each other's locks) and, when it is multiprocess, reopens that storage in
 * another process from its location.
 *
 * @author Interlock team
 * @since 0.1.0
 */
public enum Backend {

    /** {@link InMemoryManager}: locks of one JVM, the cost of the shared semantics alone. */
    MEMORY(true, false) {
        @Override
        public BenchmarkStorage create(int numLocks) {
            return new BenchmarkStorage(InMemoryManager.create(numLocks), "memory", () -> {});
        }

        @Override
        public Manager open(String location, int numLocks) {
            throw new UnsupportedOperationException("In-memory locks live in one JVM, so " + location
                    + " cannot be opened from another process; benchmark MEMORY with one process only");
        }
    },

    /** {@link FileLockManager}: a directory of lock files, deleted when the storage is closed. */
    FILE(false, true) {
        @Override
        public BenchmarkStorage create(int numLocks) {
            Path dir = Path.of(System.getProperty("java.io.tmpdir"), uniqueName());
            return new BenchmarkStorage(FileLockManager.create(dir), dir.toString(), () -> deleteTree(dir));
        }

        @Override
        public Manager open(String location, int numLocks) {
            return FileLockManager.open(Path.of(location));
        }
    },

    /** {@link SHMLockManager}: a POSIX shared-memory segment, unlinked when the storage is closed. */
    SHM(true, true) {
        @Override
        public BenchmarkStorage create(int numLocks) {
            String path = "/" + uniqueName();
            return new BenchmarkStorage(SHMLockManager.create(path, numLocks), path, () -> SHMLockManager.unlink(path));
        }

        @Override
        public Manager open(String location, int numLocks) {
            return SHMLockManager.open(location, numLocks);
        }
    };

    private static final AtomicInteger SEQUENCE = new AtomicInteger();

    private final boolean bounded;

    private final boolean multiprocess;

    Backend(boolean bounded, boolean multiprocess) {
        this.bounded = bounded;
        this.multiprocess = multiprocess;
    }

    /**
     * Returns whether the backend has a fixed lock count, so that allocation can run out.
     *
     * @return {@code true} for a fixed capacity
     */
    public boolean bounded() {
        return bounded;
    }

    /**
     * Returns whether other processes can open this backend's storage.
     *
     * @return {@code true} for a multiprocess backend
     */
    public boolean multiprocess() {
        return multiprocess;
    }

    /**
     * Creates fresh storage with {@code numLocks} locks (backends without a fixed count ignore it)
     * in a location no other benchmark uses.
     *
     * @param numLocks the lock count
     * @return the storage, which removes itself when closed
     * @throws IOException if the storage cannot be created
     */
    public abstract BenchmarkStorage create(int numLocks) throws IOException;

    /**
     * Opens storage that another process created with {@link #create(int)}.
     *
     * @param location the storage's {@link BenchmarkStorage#location()}
     * @param numLocks the lock count it was created with
     * @return a manager over that storage
     * @throws IOException if the storage cannot be opened
     * @throws UnsupportedOperationException if the backend is not multiprocess
     */
    public abstract Manager open(String location, int numLocks) throws IOException;

    /** Deletes a directory and everything in it, deepest entries first. */
    static void deleteTree(Path dir) throws IOException {
        List<Path> entries;
        try (var walk = Files.walk(dir)) {
            entries = walk.sorted(Comparator.reverseOrder()).toList();
        }
        for (Path entry : entries) {
            Files.delete(entry);
        }
    }

    /** Returns a name unique to this process and call, for segments and directories. */
    static String uniqueName() {
        return "interlock-bench-" + ProcessHandle.current().pid() + "-" + SEQUENCE.incrementAndGet();
    }
}
