package dev.interlock.spring.metrics;

import dev.interlock.HeldLock;
import dev.interlock.RecoveryListener;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counts the locks that the backend took over from holders that died, for the {@value
 * InterlockMetrics#LOCK_RECOVERIES} counter. The shared-memory backend reports recoveries to the
 * {@link RecoveryListener} beans it is given; it logs each one itself.
 *
 * @author Interlock team
 * @since 0.1.0
 */
public final class RecoveryCounter implements RecoveryListener {

    private final LongAdder recoveries = new LongAdder();

    /** Creates a counter at zero. */
    public RecoveryCounter() {}

    @Override
    public void lockRecovered(HeldLock deadHolder) {
        recoveries.increment();
    }

    /**
     * Returns how many recoveries were reported.
     *
     * @return the count since this counter was created
     */
    public long count() {
        return recoveries.sum();
    }
}
