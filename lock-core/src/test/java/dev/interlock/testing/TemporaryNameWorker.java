package dev.interlock.testing;

import dev.interlock.LockHandle;
import dev.interlock.Manager;

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
     * Runs the worker ({@link CounterWorker}'s harness), locking the name {@code name-k} for counter
     * {@code k}.
     *
     * @param args {@code openerClass location threads iterations names counterDir}
     * @throws InterruptedException if interrupted while joining the threads
     */
    public static void main(String[] args) throws InterruptedException {
        CounterWorker.run(args, (manager, k, counter) -> {
            try (LockHandle held = manager.lockName("name-" + k)) {
                counter.increment();
            }
        });
    }
}
