package dev.interlock.samples.counter;

import dev.interlock.Manager;
import dev.interlock.postgresql.PostgresLockManager;
import dev.interlock.spring.LockTemplate;
import dev.interlock.spring.WithLock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.function.LongConsumer;
import org.springframework.stereotype.Component;

/**
 * The counter file, incremented under one Interlock lock that every process of the demo shares.
 *
 * @author Interlock team
 * @since 0.1.0
 */
@Component
public class LockedCounter {

    /** The name of the lock that guards the counter, in every process. */
    public static final String LOCK_NAME = "counter-demo";

    private final CounterFile file;

    /** Whether writes carry the hold's fencing token: with a backend that can lose a lock. */
    private final boolean fenced;

    LockedCounter(CounterFile file, Manager manager) {
        this.file = file;
        this.fenced = manager instanceof PostgresLockManager;
    }

    /**
     * Adds one to the counter while holding the lock, as read, then write: without the lock, two
     * processes would overwrite each other's increments.
     *
     * @param calledAtNanos {@link System#nanoTime()} just before the call, to measure the wait
     * @param whileHolding runs inside the critical section with the value just read, before the
     *     write; if it throws, nothing is written
     * @return what the increment wrote and how long it waited
     * @throws CounterFile.StaleTokenException if the counter is fenced and a later holder wrote
     *     (the hold was lost; the call then ends with this exception, the loss attached as
     *     suppressed)
     * @throws dev.interlock.LockLostException if the hold was lost while the write went through
     */
    @WithLock(name = LOCK_NAME)
    public Increment increment(long calledAtNanos, LongConsumer whileHolding) {
        long waitNanos = System.nanoTime() - calledAtNanos;
        long acquiredAtMicros = ChronoUnit.MICROS.between(Instant.EPOCH, Instant.now());
        long value = file.read();
        whileHolding.accept(value);
        if (fenced) {
            file.writeFenced(value + 1, LockTemplate.currentFencingToken());
        } else {
            file.write(value + 1);
        }
        return new Increment(value + 1, waitNanos, acquiredAtMicros);
    }
}
