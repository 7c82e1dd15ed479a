package dev.interlock.spring.metrics;

import dev.interlock.spring.aop.WithLockListener;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Records {@code @WithLock} calls as the {@value InterlockMetrics#LOCK_WAIT} and {@value
 * InterlockMetrics#LOCK_HELD} timers and the {@value InterlockMetrics#LOCK_TIMEOUTS} counter.
 *
 * @author Interlock team
 * @since 0.1.0
 */
public final class MicrometerWithLockListener implements WithLockListener {

    private final MeterRegistry registry;

    /**
     * Creates a listener that records into {@code registry}.
     *
     * @param registry the registry
     */
    public MicrometerWithLockListener(MeterRegistry registry) {
        this.registry = registry;
    }

    @Override
    public void acquisitionEnded(String lock, AcquisitionOutcome outcome, long waitNanos) {
        Timer.builder(InterlockMetrics.LOCK_WAIT)
                .description("Time @WithLock calls waited for their lock")
                .tag("lock", lock)
                .tag("outcome", outcome.name().toLowerCase(Locale.ROOT))
                .register(registry)
                .record(waitNanos, TimeUnit.NANOSECONDS);
        if (outcome == AcquisitionOutcome.TIMEOUT) {
            Counter.builder(InterlockMetrics.LOCK_TIMEOUTS)
                    .description("@WithLock calls that timed out waiting for their lock")
                    .tag("lock", lock)
                    .register(registry)
                    .increment();
        }
        if (outcome == AcquisitionOutcome.SKIPPED) {
            Counter.builder(InterlockMetrics.LOCK_SKIPS)
                    .description("@WithLock calls skipped because their lock stayed held elsewhere")
                    .tag("lock", lock)
                    .register(registry)
                    .increment();
        }
    }

    @Override
    public void released(String lock, boolean methodFailed, long heldNanos) {
        Timer.builder(InterlockMetrics.LOCK_HELD)
                .description("Time @WithLock calls held their lock")
                .tag("lock", lock)
                .tag("outcome", methodFailed ? "error" : "success")
                .register(registry)
                .record(heldNanos, TimeUnit.NANOSECONDS);
    }
}
