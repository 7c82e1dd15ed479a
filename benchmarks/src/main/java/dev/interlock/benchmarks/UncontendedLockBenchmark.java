package dev.interlock.benchmarks;

import com.sun.jna.Native;
import com.sun.jna.Platform;
import dev.interlock.Locker;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One thread taking and releasing a lock nobody else wants: {@code lock()}+{@code unlock()} of
 * every backend, next to the locks a user would pick instead — {@link ReentrantLock}, a {@code
 * synchronized} block, and a bare {@link FileChannel#lock()}+{@link FileLock#release()} pair.
 *
 * <p>Each subject has its own {@link State}, so the backend parameter multiplies only the {@link
 * #interlock} benchmark and the baselines run once each, in their own forks, in the same run.
 *
 * <p>Run alone: {@code java -jar benchmarks/target/benchmarks.jar UncontendedLockBenchmark}.
 *
 * @author Interlock team
 * @since 0.1.0
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(2)
@Warmup(iterations = 3, time = 500, timeUnit = TimeUnit.MILLISECONDS)
@Measurement(iterations = 5, time = 500, timeUnit = TimeUnit.MILLISECONDS)
@Threads(1)
public class UncontendedLockBenchmark {

    /** A lock of the backend under test, allocated in fresh storage. */
    @State(Scope.Thread)
    public static class InterlockState {

        /** The backend under test. */
        @Param
        public Backend backend;

        BenchmarkStorage storage;

        Locker locker;

        /**
         * Creates the storage and allocates the lock.
         *
         * @throws IOException if the storage cannot be created
         */
        @Setup
        public void setUp() throws IOException {
            storage = backend.create(64);
            locker = storage.manager().allocateLock();
        }

        /** Removes the storage. */
        @TearDown
        public void tearDown() {
            storage.close();
        }
    }

    /** The JDK's explicit lock. */
    @State(Scope.Thread)
    public static class ReentrantLockState {

        final ReentrantLock lock = new ReentrantLock();
    }

    /** An object to synchronize on. */
    @State(Scope.Thread)
    public static class MonitorState {

        final Object monitor = new Object();
    }

    /** A channel to a scratch file, locked whole as {@link FileChannel#lock()} does. */
    @State(Scope.Thread)
    public static class FileChannelState {

        Path file;

        FileChannel channel;

        /**
         * Creates the scratch file and opens the channel.
         *
         * @throws IOException if the file cannot be created
         */
        @Setup
        public void setUp() throws IOException {
            file = Files.createTempFile("interlock-bench-", ".lock");
            channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
        }

        /**
         * Closes the channel and deletes the file.
         *
         * @throws IOException if the file cannot be deleted
         */
        @TearDown
        public void tearDown() throws IOException {
            channel.close();
            Files.delete(file);
        }
    }

    /**
     * A scratch file locked with bare {@code flock(2)} calls through JNA direct mapping, as the file
     * backend calls it: the floor of the backend's pair, without any of its bookkeeping.
     */
    @State(Scope.Thread)
    public static class BareFlockState {

        private static final int O_RDWR = 2;

        private static final int LOCK_EX_NB = 2 | 4;

        private static final int LOCK_UN = 8;

        Path file;

        int fd;

        /**
         * Creates the scratch file and opens it.
         *
         * @throws IOException if the file cannot be created or opened
         */
        @Setup
        public void setUp() throws IOException {
            file = Files.createTempFile("interlock-bench-", ".lock");
            fd = BareLibc.open(file.toString(), O_RDWR);
            if (fd < 0) {
                throw new IOException("open(" + file + ") failed with errno " + Native.getLastError()
                        + "; the bare flock baseline needs Linux and a writable temporary directory");
            }
        }

        /**
         * Closes the descriptor and deletes the file.
         *
         * @throws IOException if the file cannot be deleted
         */
        @TearDown
        public void tearDown() throws IOException {
            BareLibc.close(fd);
            Files.delete(file);
        }
    }

    /** {@code open}, {@code close} and {@code flock}, bound by JNA direct mapping. */
    static final class BareLibc {

        static {
            Native.register(Platform.C_LIBRARY_NAME);
        }

        private BareLibc() {}

        static native int open(String path, int flags);

        static native int close(int fd);

        static native int flock(int fd, int operation);
    }

    /**
     * The backend's {@code lock()}+{@code unlock()} pair.
     *
     * @param state the backend's lock
     */
    @Benchmark
    public void interlock(InterlockState state) {
        state.locker.lock();
        state.locker.unlock();
    }

    /**
     * Baseline: {@link ReentrantLock#lock()}+{@link ReentrantLock#unlock()}.
     *
     * @param state the lock
     */
    @Benchmark
    public void reentrantLock(ReentrantLockState state) {
        state.lock.lock();
        state.lock.unlock();
    }

    /**
     * Baseline: entering and leaving a {@code synchronized} block. The JIT cannot elide it: the
     * monitor is reachable from a field, so it may escape to other threads.
     *
     * @param state the monitor
     */
    @Benchmark
    public void synchronizedBlock(MonitorState state) {
        synchronized (state.monitor) {
            // Entering and leaving is the operation measured.
        }
    }

    /**
     * Baseline: {@link FileChannel#lock()}+{@link FileLock#release()}, the file lock the JDK
     * offers (an {@code fcntl} record lock on Linux).
     *
     * @param state the channel
     * @throws IOException if locking fails
     */
    @Benchmark
    public void fileChannel(FileChannelState state) throws IOException {
        state.channel.lock().release();
    }

    /**
     * Floor of the file backend: {@code flock(LOCK_EX | LOCK_NB)}+{@code flock(LOCK_UN)} through JNA
     * direct mapping, the two system calls of its pair with none of its bookkeeping.
     *
     * @param state the descriptor
     * @return the second call's result, so that neither call can be dropped
     */
    @Benchmark
    public int bareFlock(BareFlockState state) {
        BareLibc.flock(state.fd, BareFlockState.LOCK_EX_NB);
        return BareLibc.flock(state.fd, BareFlockState.LOCK_UN);
    }
}
