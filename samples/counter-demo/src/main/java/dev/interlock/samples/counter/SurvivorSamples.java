package dev.interlock.samples.counter;

import java.util.Arrays;
import java.util.Map;

/**
 * What the workers that were not killed measured, combined: every wait for the lock, the last
 * acquisition, and the first acquisition after the kill, which ends the recovery.
 *
 * @param sortedWaitNanos every wait, ascending
 * @param workers how many workers' samples are combined
 * @param lastAcquiredMicros the latest acquisition, in microseconds since the epoch
 * @param recoveredBy the number of the worker that acquired the lock first after the kill, or -1
 *     if none did
 * @param recoveredAtMicros when it did, in microseconds since the epoch
 * @author Interlock team
 */
record SurvivorSamples(
        long[] sortedWaitNanos, int workers, long lastAcquiredMicros, int recoveredBy, long recoveredAtMicros) {

    /**
     * Combines the samples of the surviving workers.
     *
     * @param byWorker each surviving worker's samples, by worker number
     * @param killedAtMicros when the holder was killed
     * @return the combined samples
     */
    static SurvivorSamples combine(Map<Integer, WorkerSamples> byWorker, long killedAtMicros) {
        long lastAcquired = Long.MIN_VALUE;
        int recoveredBy = -1;
        long recoveredAt = Long.MAX_VALUE;
        for (Map.Entry<Integer, WorkerSamples> entry : byWorker.entrySet()) {
            for (long acquiredAt : entry.getValue().acquiredAtMicros()) {
                lastAcquired = Math.max(lastAcquired, acquiredAt);
                // Nobody else could take the lock while the killed worker held it, so the first
                // acquisition after the kill is the takeover.
                if (acquiredAt >= killedAtMicros && acquiredAt < recoveredAt) {
                    recoveredAt = acquiredAt;
                    recoveredBy = entry.getKey();
                }
            }
        }
        long[] waits = byWorker.values().stream()
                .flatMapToLong(samples -> Arrays.stream(samples.waitNanos()))
                .sorted()
                .toArray();
        return new SurvivorSamples(waits, byWorker.size(), lastAcquired, recoveredBy, recoveredAt);
    }

    /**
     * Returns a wait percentile by the nearest-rank method.
     *
     * @param quantile between 0 and 1
     * @return the wait in nanoseconds
     */
    long waitPercentile(double quantile) {
        int rank = (int) Math.ceil(quantile * sortedWaitNanos.length);
        return sortedWaitNanos[Math.max(rank - 1, 0)];
    }

    /**
     * Returns the longest wait.
     *
     * @return the wait in nanoseconds
     */
    long maxWait() {
        return sortedWaitNanos[sortedWaitNanos.length - 1];
    }
}
