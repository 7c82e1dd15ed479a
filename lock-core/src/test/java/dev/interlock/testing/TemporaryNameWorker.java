package dev.interlock.testing;

import dev.interlock.LockHandle;
import dev.interlock.Manager;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Child-JVM main that increments {@link SharedCounter}s under temporary name locks ({@link
 * Manager#lockName(String)}), for multi-process exclusion tests of the name protocol.
 *
 * <p>Arguments: {@code openerClass location threads iterations names counterDir}. Each of {@code
 * threads} threads performs {@code iterations} increments; each picks one of the names {@code
 * name-0 .. name-<names - 1>} at random, locks it, and increments {@code counterDir/counter-<k>}
 * with no other synchronisation. Every release frees the name's ID, so on a small storage the same
 * few IDs move between names all the time. Prints {@code READY} once the manager is open and
 * {@code DONE <increments>} at the end, and exits with 1 if any thread failed.
 *
 * @author Interlock team
 */
public final class TemporaryNameWorker {

    private TemporaryNameWorker() {}

    /**
     * Runs the worker.
     *
     * @param args {@code openerClass location threads iterations names counterDir}
     * @throws InterruptedException if interrupted while joining the threads
     */
    public static void main(String[] args) throws InterruptedException {
        ManagerOpener opener = ManagerOpener.forClassName(args[0]);
        String location = args[1];
        int threads = Integer.parseInt(args[2]);
        int iterations = Integer.parseInt(args[3]);
        int names = Integer.parseInt(args[4]);
        Path counterDir = Path.of(args[5]);
        List<Throwable> failures = new ArrayList<>();
        try (Manager manager = opener.open(location)) {
            System.out.println("READY");
            List<Thread> workers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                Thread worker = new Thread(() -> increment(manager, iterations, names, counterDir), "worker-" + t);
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

    private static void increment(Manager manager, int iterations, int names, Path counterDir) {
        for (int i = 0; i < iterations; i++) {
            int k = ThreadLocalRandom.current().nextInt(names);
            try (LockHandle held = manager.lockName("name-" + k)) {
                new SharedCounter(counterDir.resolve("counter-" + k)).increment();
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("Interrupted while waiting for name-" + k, ex);
            }
        }
    }
}
