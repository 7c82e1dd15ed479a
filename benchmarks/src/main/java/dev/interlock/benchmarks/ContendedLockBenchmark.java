package dev.interlock.benchmarks;

import dev.interlock.Locker;
import java.io.IOException;
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
import org.openjdk.jmh.infra.ThreadParams;

/**
 * Two threads of one process taking and releasing locks through one manager, with an empty
 * critical section: both on the same lock (real contention; also with four threads), and each on its own lock with
 * neighbouring IDs 0 and 1 (no contention, so any slowdown against the uncontended figure is false
 * sharing between neighbouring lock records). {@link ReentrantLock} is the baseline for both.
 *
 * <p>There is no {@code FileChannel} baseline here: two threads of one JVM cannot both lock one
 * file through {@code FileChannel}, the second gets an {@code OverlappingFileLockException}.
 * Scores are nanoseconds per {@code lock()}+{@code unlock()} pair, per thread.
 *
 * <p>Run alone: {@code java -jar benchmarks/target/benchmarks.jar ContendedLockBenchmark}.
 *
 * @author Interlock team
 * @since 0.1.0
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(2)
@Warmup(iterations = 3, time = 500, timeUnit = TimeUnit.MILLISECONDS)
@Measurement(iterations = 5, time = 500, timeUnit = TimeUnit.MILLISECONDS)
@Threads(2)
public class ContendedLockBenchmark {

    /** Fresh storage of the backend under test with locks 0 and 1 allocated, shared by both threads. */
    @State(Scope.Benchmark)
    public static class SharedStorage {

        /** The backend under test. */
        @Param
        public Backend backend;

        BenchmarkStorage storage;

        Locker first;

        Locker second;

        /**
         * Creates the storage and allocates the two neighbouring locks.
         *
         * @throws IOException if the storage cannot be created
         */
        @Setup
        public void setUp() throws IOException {
            storage = backend.create(64);
            first = storage.manager().allocateLock();
            second = storage.manager().allocateLock();
        }

        /** Removes the storage. */
        @TearDown
        public void tearDown() {
            storage.close();
        }
    }

    /** The lock this thread takes when each thread has its own: ID 0 for one thread, 1 for the other. */
    @State(Scope.Thread)
    public static class OwnLock {

        Locker locker;

        /**
         * Picks this thread's lock.
         *
         * @param shared the storage
         * @param thread which thread this is
         */
        @Setup
        public void setUp(SharedStorage shared, ThreadParams thread) {
            locker = thread.getThreadIndex() == 0 ? shared.first : shared.second;
        }
    }

    /** One {@link ReentrantLock} for both threads. */
    @State(Scope.Benchmark)
    public static class SharedReentrantLock {

        final ReentrantLock lock = new ReentrantLock();
    }

    /** A {@link ReentrantLock} per thread. */
    @State(Scope.Thread)
    public static class OwnReentrantLock {

        final ReentrantLock lock = new ReentrantLock();
    }

    /**
     * Both threads on lock 0 of the backend.
     *
     * @param shared the storage
     */
    @Benchmark
    public void oneLock(SharedStorage shared) {
        shared.first.lock();
        shared.first.unlock();
    }

    /**
     * Four threads on lock 0 of the backend: more waiters than cores.
     *
     * @param shared the storage
     */
    @Benchmark
    @Threads(4)
    public void oneLockFourThreads(SharedStorage shared) {
        shared.first.lock();
        shared.first.unlock();
    }

    /**
     * Each thread on its own lock of the backend, IDs 0 and 1.
     *
     * @param own this thread's lock
     */
    @Benchmark
    public void twoLocks(OwnLock own) {
        own.locker.lock();
        own.locker.unlock();
    }

    /**
     * Baseline: both threads on one {@link ReentrantLock}.
     *
     * @param shared the lock
     */
    @Benchmark
    public void oneReentrantLock(SharedReentrantLock shared) {
        shared.lock.lock();
        shared.lock.unlock();
    }

    /**
     * Baseline: four threads on one {@link ReentrantLock}.
     *
     * @param shared the lock
     */
    @Benchmark
    @Threads(4)
    public void oneReentrantLockFourThreads(SharedReentrantLock shared) {
        shared.lock.lock();
        shared.lock.unlock();
    }

    /**
     * Baseline: each thread on its own {@link ReentrantLock}.
     *
     * @param own this thread's lock
     */
    @Benchmark
    public void twoReentrantLocks(OwnReentrantLock own) {
        own.lock.lock();
        own.lock.unlock();
    }
}
