package dev.interlock.testing;

import dev.interlock.Locker;
import dev.interlock.Manager;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Child-JVM main that increments {@link SharedCounter}s under locks, for multi-process exclusion
 * tests of any backend.
 *
 * <p>Arguments: {@code openerClass location threads iterations locks counterDir}. Each of
 * {@code threads} threads performs {@code iterations} increments; each increment picks one of the
 * lock IDs {@code 0 .. locks - 1} at random, locks it, and
 * increments the counter file {@code counterDir/counter-<id>} with no other synchronisation. It
 * prints {@code READY} once the manager is open and {@code DONE <increments>} at the end, and
 * exits with 1 if any thread failed.
 *
 * @author Interlock team
 */
public final class CounterWorker {

    private CounterWorker() {}

    /**
     * Runs the worker, locking lock ID {@code k} for counter {@code k}.
     *
     * @param args {@code openerClass location threads iterations locks counterDir}
     * @throws InterruptedException if interrupted while joining the threads
     */
    public static void main(String[] args) throws InterruptedException {
        run(args, (manager, id, counter) -> {
            Locker locker = manager.retrieveLock(id);
            locker.lock();
            try {
                counter.increment();
            } finally {
                locker.unlock();
            }
        });
    }

    /** One increment of counter {@code k} under the lock the worker uses for it. */
    @FunctionalInterface
    interface LockedIncrement {

        void run(Manager manager, int k, SharedCounter counter) throws InterruptedException;
    }

    /**
     * Opens the manager, runs the threads with {@code increment}, prints {@code READY} and {@code
     * DONE}, and exits: the harness shared with {@link TemporaryNameWorker}.
     */
    static void run(String[] args, LockedIncrement increment) throws InterruptedException {
        ManagerOpener opener = ManagerOpener.forClassName(args[0]);
        String location = args[1];
        int threads = Integer.parseInt(args[2]);
        int iterations = Integer.parseInt(args[3]);
        int counters = Integer.parseInt(args[4]);
        Path counterDir = Path.of(args[5]);
        List<Throwable> failures = new ArrayList<>();
        try (Manager manager = opener.open(location)) {
            System.out.println("READY");
            List<Thread> workers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                Thread worker = new Thread(
                        () -> incrementAll(manager, iterations, counters, counterDir, increment), "worker-" + t);
                worker.setUncaughtExceptionHandler((thread, ex) -> {
                    synchronized (failures) {
                        failures.add(ex);
                    }
                    ex.printStackTrace(System.out);
                });
                workers.add(worker);
                worker.start();
            }
            for (Thread worker : workers) {
                worker.join();
            }
            System.out.println("DONE " + (long) threads * iterations);
        }
        System.exit(failures.isEmpty() ? 0 : 1);
    }

    private static void incrementAll(
            Manager manager, int iterations, int counters, Path counterDir, LockedIncrement increment) {
        for (int i = 0; i < iterations; i++) {
            int k = ThreadLocalRandom.current().nextInt(counters);
            try {
                increment.run(manager, k, new SharedCounter(counterDir.resolve("counter-" + k)));
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("Interrupted while waiting for the lock of counter " + k, ex);
            }
        }
    }
}
