package dev.interlock.samples.counter;

/**
 * One increment of the counter, as its worker saw it.
 *
 * @param value the count this increment wrote
 * @param waitNanos how long the call waited for the lock: from the call to the first line of the
 *     locked method
 * @param acquiredAtMicros when the lock was acquired, in microseconds since the epoch (comparable
 *     between processes on one host)
 * @author Interlock team
 */
record Increment(long value, long waitNanos, long acquiredAtMicros) {}
