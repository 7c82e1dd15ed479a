package dev.interlock.testing;

import java.time.Duration;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Drives a storage fuzz test: rounds with seeds drawn from one run seed, for a bounded time, each
 * round in a worker thread with a deadline, so that a hang fails the test (with the seed) instead
 * of stalling the build. Settings (system properties, passed by {@code -D} to Maven):
 *
 * <ul>
 *   <li>{@code interlock.fuzz.seconds}: time budget per fuzz test, default 4 (a few hundred rounds);
 *       for example 600 for a long run
 *   <li>{@code interlock.fuzz.seed}: the run seed, to replay a failure (printed with it)
 * </ul>
 *
 * Every failure message carries the run seed and the round, and a round is replayed from them.
 *
 * @author Interlock team
 */
public final class FuzzRounds {

    /** One round of a fuzz test. */
    @FunctionalInterface
    public interface Round {

        /**
         * Runs one round.
         *
         * @param random the round's source of randomness
         * @param round the round number, for unique storage names
         * @throws Exception to fail the round
         */
        void run(Random random, int round) throws Exception;
    }

    private FuzzRounds() {}

    /**
     * Runs rounds until the time budget is used up.
     *
     * @param name the test, for messages
     * @param perRound the deadline of one round; exceeding it is a hang
     * @param round what a round does
     * @return the number of rounds run
     */
    public static int run(String name, Duration perRound, Round round) throws Exception {
        long seconds = Long.getLong("interlock.fuzz.seconds", 4);
        long seed = Long.getLong("interlock.fuzz.seed", System.nanoTime());
        Random seeds = new Random(seed);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        ExecutorService executor = Executors.newCachedThreadPool(runnable -> {
            Thread thread = new Thread(runnable, "fuzz-" + name);
            thread.setDaemon(true);
            return thread;
        });
        int rounds = 0;
        try {
            while (System.nanoTime() < deadline || rounds == 0) {
                long roundSeed = seeds.nextLong();
                int number = rounds;
                Future<?> future = executor.submit(() -> {
                    round.run(new Random(roundSeed), number);
                    return null;
                });
                try {
                    future.get(perRound.toMillis(), TimeUnit.MILLISECONDS);
                } catch (TimeoutException ex) {
                    future.cancel(true);
                    throw new AssertionError(
                            name + " round " + number + " hung for more than " + perRound.toMillis()
                                    + " ms; replay with -Dinterlock.fuzz.seed=" + seed,
                            ex);
                } catch (java.util.concurrent.ExecutionException ex) {
                    throw new AssertionError(
                            name + " round " + number + " failed; replay with -Dinterlock.fuzz.seed=" + seed + ": "
                                    + ex.getCause(),
                            ex.getCause());
                }
                rounds++;
            }
        } finally {
            executor.shutdownNow();
        }
        System.out.println(name + ": " + rounds + " rounds in " + seconds + " s, seed " + seed);
        return rounds;
    }
}
