package dev.interlock.benchmarks;

import dev.interlock.Locker;
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
 * What it costs to get a handle before locking: {@code retrieveLock(id)} and {@code
 * namedLock(name)} for a name that is already bound, in storage holding {@value #NAMES} named
 * locks.
 *
 * <p>Run alone: {@code java -jar benchmarks/target/benchmarks.jar LookupBenchmark}.
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
public class LookupBenchmark {

    /** Names bound before measuring, so the lookup searches a populated table. */
    static final int NAMES = 1_000;

    /** Storage with {@value #NAMES} named locks. */
    @State(Scope.Thread)
    public static class NamedLocks {

        /** The backend under test. */
        @Param
        public Backend backend;

        BenchmarkStorage storage;

        Manager manager;

        int id;

        String name;

        /**
         * Creates the storage and binds the names.
         *
         * @throws IOException if the storage cannot be created
         */
        @Setup
        public void setUp() throws IOException {
            storage = backend.create(2 * NAMES);
            manager = storage.manager();
            for (int i = 0; i < NAMES; i++) {
                Locker bound = manager.namedLock(nameOf(i));
                if (i == NAMES / 2) {
                    id = bound.id();
                    name = nameOf(i);
                }
            }
        }

        /** Removes the storage. */
        @TearDown
        public void tearDown() {
            storage.close();
        }

        private static String nameOf(int i) {
            return "orders/invoice-" + i;
        }
    }

    /**
     * Retrieves an allocated lock by its ID.
     *
     * @param state the storage
     * @return the handle, consumed by JMH so the call is not optimised away
     */
    @Benchmark
    public Locker retrieveLock(NamedLocks state) {
        return state.manager.retrieveLock(state.id);
    }

    /**
     * Looks up a bound name.
     *
     * @param state the storage
     * @return the handle, consumed by JMH so the call is not optimised away
     */
    @Benchmark
    public Locker namedLock(NamedLocks state) {
        return state.manager.namedLock(state.name);
    }
}
