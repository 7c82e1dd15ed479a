package dev.interlock.spring.metrics;

import dev.interlock.LostLock;
import dev.interlock.spring.aop.WithLockListener;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.LongTaskTimer;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * Records {@code @WithLock} and {@code LockTemplate} calls as the {@value
 * InterlockMetrics#LOCK_WAIT} and {@value InterlockMetrics#LOCK_HELD} timers, the {@value
 * InterlockMetrics#LOCK_HOLDING} long task timer (holds in progress, so a stuck holder shows before
 * it releases), and the {@value InterlockMetrics#LOCK_TIMEOUTS}, {@value
 * InterlockMetrics#LOCK_SKIPS} and {@value InterlockMetrics#LOCK_LOST} counters.
 *
 * <p>Each meter is built once per tag combination and kept, not looked up in the registry on every
 * call. The {@code lock} tag is the expression text as written, so the set stays bounded.
 *
 * @author Interlock team
 * @since 0.1.0
 */
public final class MicrometerWithLockListener implements WithLockListener {

    private final MeterRegistry registry;

    private final Map<String, Timer> waits = new ConcurrentHashMap<>();

    private final Map<String, Timer> helds = new ConcurrentHashMap<>();

    private final Map<String, LongTaskTimer> holdings = new ConcurrentHashMap<>();

    private final Map<String, Counter> timeouts = new ConcurrentHashMap<>();

    private final Map<String, Counter> skips = new ConcurrentHashMap<>();

    private final Map<String, Counter> losses = new ConcurrentHashMap<>();

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
        String outcomeTag = outcome.name().toLowerCase(Locale.ROOT);
        waits.computeIfAbsent(
                        lock + '\n' + outcomeTag,
                        key -> Timer.builder(InterlockMetrics.LOCK_WAIT)
                                .description("Time @WithLock calls waited for their lock")
                                .tag("lock", lock)
                                .tag("outcome", outcomeTag)
                                .register(registry))
                .record(waitNanos, TimeUnit.NANOSECONDS);
        if (outcome == AcquisitionOutcome.TIMEOUT) {
            count(
                    timeouts,
                    InterlockMetrics.LOCK_TIMEOUTS,
                    "@WithLock calls that timed out waiting for their lock",
                    lock);
        }
        if (outcome == AcquisitionOutcome.SKIPPED) {
            count(
                    skips,
                    InterlockMetrics.LOCK_SKIPS,
                    "@WithLock calls skipped because their lock stayed held elsewhere",
                    lock);
        }
    }

    @Override
    public void lockLost(String lock, LostLock lost) {
        count(losses, InterlockMetrics.LOCK_LOST, "@WithLock calls whose lock was lost while the method ran", lock);
    }

    /** Increments the counter {@code name} of {@code lock}, built once and kept in {@code counters}. */
    private void count(Map<String, Counter> counters, String name, String description, String lock) {
        counters.computeIfAbsent(
                        lock,
                        key -> Counter.builder(name)
                                .description(description)
                                .tag("lock", lock)
                                .register(registry))
                .increment();
    }

    @Override
    public @Nullable AutoCloseable holdStarted(String lock) {
        LongTaskTimer.Sample sample = holdings.computeIfAbsent(
                        lock,
                        key -> LongTaskTimer.builder(InterlockMetrics.LOCK_HOLDING)
                                .description("@WithLock calls holding their lock right now, and for how long")
                                .tag("lock", lock)
                                .register(registry))
                .start();
        return sample::stop;
    }

    @Override
    public void released(String lock, boolean methodFailed, long heldNanos) {
        String outcomeTag = methodFailed ? "error" : "success";
        helds.computeIfAbsent(
                        lock + '\n' + outcomeTag,
                        key -> Timer.builder(InterlockMetrics.LOCK_HELD)
                                .description("Time @WithLock calls held their lock")
                                .tag("lock", lock)
                                .tag("outcome", outcomeTag)
                                .register(registry))
                .record(heldNanos, TimeUnit.NANOSECONDS);
    }
}
