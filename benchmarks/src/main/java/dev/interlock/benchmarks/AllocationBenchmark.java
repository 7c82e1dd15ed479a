package dev.interlock.benchmarks;

import dev.interlock.Manager;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
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
 * {@code allocateLock()}+{@code free()} when the storage is nearly full, the worst case for a
 * lowest-free allocator: a fixed-size storage of {@value #CAPACITY} locks with every ID but the
 * highest allocated (so each allocation must find the very last free ID), and a backend without
 * a fixed size holding {@value #UNBOUNDED_PREFILL} allocated locks.
 *
 * <p>Run alone: {@code java -jar benchmarks/target/benchmarks.jar AllocationBenchmark}.
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
public class AllocationBenchmark {

    /** Lock count of fixed-size storage: podman's default segment is as large. */
    static final int CAPACITY = 65_536;

    /** Locks allocated up front in storage without a fixed size. */
    static final int UNBOUNDED_PREFILL = 10_000;

    /** Storage with all locks but one allocated. */
    @State(Scope.Thread)
    public static class NearlyFull {

        /** The backend under test. */
        @Param
        public Backend backend;

        BenchmarkStorage storage;

        Manager manager;

        /**
         * Creates the storage and allocates every lock but the last.
         *
         * @throws IOException if the storage cannot be created
         */
        @Setup
        public void setUp() throws IOException {
            storage = backend.create(CAPACITY);
            manager = storage.manager();
            int prefill = backend.bounded() ? CAPACITY - 1 : UNBOUNDED_PREFILL;
            for (int i = 0; i < prefill; i++) {
                manager.allocateLock();
            }
            int expectedId = prefill;
            int id = manager.allocateLock().id();
            if (id != expectedId) {
                throw new IllegalStateException(backend + " allocated ID " + id + " after " + prefill
                        + " allocations, expected " + expectedId + ": the benchmark would not measure the"
                        + " nearly-full case");
            }
            manager.retrieveLock(id).free();
        }

        /** Removes the storage. */
        @TearDown
        public void tearDown() {
            storage.close();
        }
    }

    /**
     * Allocates the one free ID and frees it again.
     *
     * @param state the nearly full storage
     */
    @Benchmark
    public void allocateAndFree(NearlyFull state) {
        state.manager.allocateLock().free();
    }
}
