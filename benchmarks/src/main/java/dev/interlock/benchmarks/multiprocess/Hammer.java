package dev.interlock.benchmarks.multiprocess;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.jspecify.annotations.Nullable;

/**
 * Threads that take and release a lock as fast as they can for a fixed time, each timing every
 * {@code lock()} call, counting pairs and measuring the CPU time it used. The threads are started
 * by {@link #prepare} and wait for {@link #run()}, so that thread start-up stays outside the
 * measured time and every process of a run can be released at the same moment.
 *
 * @author Interlock team
 * @since 0.1.0
 */
public final class Hammer {

    /** How much longer than the run time a thread may take before the run counts as wedged. */
    private static final Duration WEDGE_LIMIT = Duration.ofSeconds(30);

    private final CountDownLatch start = new CountDownLatch(1);

    private final List<Worker> workers = new ArrayList<>();

    private final Duration duration;

    private Hammer(Duration duration) {
        this.duration = duration;
    }

    /**
     * Starts one thread per lock, each waiting to hammer its lock for {@code duration} once {@link
     * #run()} is called.
     *
     * @param locks the lock of each thread (several threads may share a {@link ContendedLock#of
     *     Locker}; other locks are one per thread)
     * @param duration how long each thread hammers
     * @return the prepared hammer
     */
    public static Hammer prepare(List<ContendedLock> locks, Duration duration) {
        Hammer hammer = new Hammer(duration);
        for (int i = 0; i < locks.size(); i++) {
            Worker worker = new Worker("hammer-" + i, locks.get(i), hammer.start, duration.toNanos());
            hammer.workers.add(worker);
            worker.start();
        }
        return hammer;
    }

    /**
     * Releases the threads, waits for them to finish and adds up what they measured.
     *
     * @return the result of all threads
     * @throws InterruptedException if interrupted while waiting
     * @throws IllegalStateException if a thread failed, or did not finish in time (a wedged lock)
     */
    public HammerResult run() throws InterruptedException {
        long begin = System.nanoTime();
        start.countDown();
        long joinLimitMillis = duration.plus(WEDGE_LIMIT).toMillis();
        long pairs = 0;
        long cpuNanos = 0;
        WaitHistogram waits = new WaitHistogram();
        for (Worker worker : workers) {
            worker.join(joinLimitMillis);
            if (worker.isAlive()) {
                throw new IllegalStateException("Thread " + worker.getName() + " still hammering "
                        + worker.lock + " " + joinLimitMillis + " ms after a " + duration.toMillis()
                        + " ms run: a lock is wedged; look for a holder that never unlocked");
            }
            Throwable failure = worker.failure;
            if (failure != null) {
                throw new IllegalStateException(
                        "Thread " + worker.getName() + " failed hammering " + worker.lock, failure);
            }
            pairs += worker.pairs;
            cpuNanos += worker.cpuNanos;
            waits.add(worker.waits);
        }
        return new HammerResult(pairs, System.nanoTime() - begin, cpuNanos, waits);
    }

    /** One hammering thread; its fields are read after {@link Thread#join}, which orders them. */
    private static final class Worker extends Thread {

        private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

        private final ContendedLock lock;

        private final CountDownLatch start;

        private final long durationNanos;

        private final WaitHistogram waits = new WaitHistogram();

        private long pairs;

        private long cpuNanos;

        private @Nullable Throwable failure;

        Worker(String name, ContendedLock lock, CountDownLatch start, long durationNanos) {
            super(name);
            setDaemon(true);
            this.lock = lock;
            this.start = start;
            this.durationNanos = durationNanos;
        }

        @Override
        public void run() {
            try {
                start.await();
                long cpuBefore = THREADS.getCurrentThreadCpuTime();
                hammer();
                cpuNanos = THREADS.getCurrentThreadCpuTime() - cpuBefore;
            } catch (Throwable ex) {
                failure = ex;
            }
        }

        /** The measured loop: no allocation, two clock reads per pair, as in the C reference. */
        private void hammer() {
            ContendedLock lock = this.lock;
            WaitHistogram waits = this.waits;
            long deadline = System.nanoTime() + durationNanos;
            long pairs = 0;
            long called;
            while ((called = System.nanoTime()) < deadline) {
                lock.lock();
                long acquired = System.nanoTime();
                lock.unlock();
                waits.record(acquired - called);
                pairs++;
            }
            this.pairs = pairs;
        }
    }
}
