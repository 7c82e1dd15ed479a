package dev.interlock.shm;

import dev.interlock.Locker;
import dev.interlock.testing.SharedCounter;
import java.nio.file.Path;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Child-JVM main (JDK 21+) that increments counters under SHM locks from virtual threads.
 * Arguments: {@code segment counterDir threads iterations locks}. Each of {@code threads} virtual
 * threads makes {@code iterations} increments of {@code counterDir/counter-<id>} under a random
 * lock {@code id < locks}. Prints {@code READY}, then {@code DONE <increments> <millis>}; exits
 * with 1 if a thread failed or the run took longer than 90 s.
 *
 * <p>Compiled for Java 17, so the virtual-thread executor is looked up reflectively.
 *
 * @author Interlock team
 */
public final class VirtualThreadWorker {

    private VirtualThreadWorker() {}

    /**
     * Runs the worker.
     *
     * @param args {@code segment counterDir threads iterations locks}
     * @throws Exception if the virtual-thread executor cannot be created (JDK before 21)
     */
    public static void main(String[] args) throws Exception {
        String segment = args[0];
        Path counters = Path.of(args[1]);
        int threads = Integer.parseInt(args[2]);
        int iterations = Integer.parseInt(args[3]);
        int locks = Integer.parseInt(args[4]);
        AtomicInteger failures = new AtomicInteger();
        try (SHMLockManager manager = SHMLockManager.open(segment, ShmOpener.NUM_LOCKS)) {
            System.out.println("READY");
            long start = System.nanoTime();
            ExecutorService executor = (ExecutorService)
                    Executors.class.getMethod("newVirtualThreadPerTaskExecutor").invoke(null);
            for (int t = 0; t < threads; t++) {
                executor.execute(() -> {
                    try {
                        for (int i = 0; i < iterations; i++) {
                            int id = ThreadLocalRandom.current().nextInt(locks);
                            Locker locker = manager.retrieveLock(id);
                            locker.lock();
                            try {
                                new SharedCounter(counters.resolve("counter-" + id)).increment();
                            } finally {
                                locker.unlock();
                            }
                        }
                    } catch (RuntimeException | Error ex) {
                        failures.incrementAndGet();
                        ex.printStackTrace(System.out);
                    }
                });
            }
            executor.shutdown();
            boolean finished = executor.awaitTermination(90, TimeUnit.SECONDS);
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            System.out.println((finished ? "DONE " : "UNFINISHED ") + (long) threads * iterations + " " + millis);
            System.exit(finished && failures.get() == 0 ? 0 : 1);
        }
    }
}
