package dev.interlock.file;

import dev.interlock.Locker;
import dev.interlock.testing.SharedCounter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Child-JVM main (JDK 21+) that uses a {@link FileLockManager} from virtual threads. Arguments:
 *
 * <ul>
 *   <li>{@code count <lock directory> <threads> <iterations> <counter file>}: every virtual thread
 *       increments a {@link SharedCounter} under lock 0; prints {@code DONE <increments>}.
 *   <li>{@code wait <lock directory>}: one virtual thread waits for lock 0 (held by the test)
 *       while another locks and unlocks lock 1; prints {@code WAITING 0}, {@code OTHER DONE} once
 *       the second is through, and {@code ACQUIRED 0} when the first gets its lock. Run with one
 *       carrier thread, {@code OTHER DONE} before {@code ACQUIRED 0} shows that a waiter leaves
 *       its carrier free; a wait blocked in the kernel would hold the only carrier.
 * </ul>
 *
 * @author Interlock team
 */
public final class VirtualThreadWorker {

    private VirtualThreadWorker() {}

    /**
     * Runs the worker.
     *
     * @param args see the class description
     * @throws Exception if a thread fails or does not finish within a minute
     */
    public static void main(String[] args) throws Exception {
        // Compiled for Java 17, so the JDK 21 factory is looked up reflectively.
        ExecutorService executor = (ExecutorService)
                Executors.class.getMethod("newVirtualThreadPerTaskExecutor").invoke(null);
        try (FileLockManager manager = FileLockManager.open(Path.of(args[1]))) {
            if (args[0].equals("count")) {
                count(manager, executor, Integer.parseInt(args[2]), Integer.parseInt(args[3]), Path.of(args[4]));
            } else {
                waitBesideOther(manager, executor);
            }
        } finally {
            executor.shutdownNow();
        }
    }

    private static void count(
            FileLockManager manager, ExecutorService executor, int threads, int iterations, Path counterFile)
            throws Exception {
        SharedCounter counter = new SharedCounter(counterFile);
        Locker locker = manager.retrieveLock(0);
        List<Future<?>> futures = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            futures.add(executor.submit(() -> {
                for (int i = 0; i < iterations; i++) {
                    locker.lock();
                    try {
                        counter.increment();
                    } finally {
                        locker.unlock();
                    }
                }
                return null;
            }));
        }
        for (Future<?> future : futures) {
            future.get(60, TimeUnit.SECONDS);
        }
        System.out.println("DONE " + (long) threads * iterations);
    }

    private static void waitBesideOther(FileLockManager manager, ExecutorService executor) throws Exception {
        Future<?> waiter = executor.submit(() -> {
            System.out.println("WAITING 0");
            manager.retrieveLock(0).lock();
            System.out.println("ACQUIRED 0");
            manager.retrieveLock(0).unlock();
        });
        Future<?> other = executor.submit(() -> {
            manager.retrieveLock(1).lock();
            manager.retrieveLock(1).unlock();
        });
        other.get(60, TimeUnit.SECONDS);
        System.out.println("OTHER DONE");
        waiter.get(60, TimeUnit.SECONDS);
    }
}
