package dev.interlock.spring.metrics;

import dev.interlock.Manager;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.OptionalInt;
import java.util.function.ToDoubleFunction;

/**
 * Binds Interlock's gauges and its recovery counter to a {@link MeterRegistry}; together with
 * {@link MicrometerWithLockListener} it produces every Interlock meter:
 *
 * <ul>
 *   <li>{@value #LOCKS_ALLOCATED} (gauge, tag {@code backend}): allocated lock IDs, by any process
 *   <li>{@value #LOCKS_FREE} (gauge, tag {@code backend}): IDs still free to allocate; only for
 *       backends with a lock limit
 *   <li>{@value #LOCKS_HELD} (gauge, tag {@code backend}): locks held right now, by any process
 *   <li>{@value #LOCK_RECOVERIES} (counter, tag {@code backend}): locks taken over from holders
 *       that died
 *   <li>{@value #LOCK_WAIT} (timer, tags {@code lock}, {@code outcome}): time a {@code @WithLock}
 *       call waited for its lock; outcome {@code acquired}, {@code timeout}, {@code skipped} or
 *       {@code failed}
 *   <li>{@value #LOCK_HELD} (timer, tags {@code lock}, {@code outcome}): time a {@code @WithLock}
 *       call held its lock; outcome {@code success} or {@code error}
 *   <li>{@value #LOCK_TIMEOUTS} (counter, tag {@code lock}): {@code @WithLock} calls that timed
 *       out
 *   <li>{@value #LOCK_SKIPS} (counter, tag {@code lock}): calls skipped with {@code onTimeout =
 *       SKIP}
 *   <li>{@value #LOCK_HOLDING} (long task timer, tag {@code lock}): calls holding their lock right
 *       now and for how long, so a stuck holder shows before it releases
 *   <li>{@value #LOCK_LOST} (counter, tag {@code lock}): {@code @WithLock} calls whose hold was lost
 *       while the method ran, so that the method was maybe not alone in its critical section
 * </ul>
 *
 * <p>The {@code lock} tag is the annotation's expression text, never an evaluated name or ID, so
 * the number of series stays bounded. Reading a gauge takes no lock; a gauge of a closed manager
 * reads {@code NaN}.
 *
 * @author Interlock team
 * @since 0.1.0
 */
public final class InterlockMetrics implements MeterBinder {

    /** Gauge of allocated lock IDs. */
    public static final String LOCKS_ALLOCATED = "interlock.locks.allocated";

    /** Gauge of lock IDs still free to allocate. */
    public static final String LOCKS_FREE = "interlock.locks.free";

    /** Gauge of locks held right now. */
    public static final String LOCKS_HELD = "interlock.locks.held";

    /** Counter of locks taken over from holders that died. */
    public static final String LOCK_RECOVERIES = "interlock.lock.recoveries";

    /** Timer of the wait for a {@code @WithLock} call's lock. */
    public static final String LOCK_WAIT = "interlock.lock.wait";

    /** Timer of how long a {@code @WithLock} call held its lock. */
    public static final String LOCK_HELD = "interlock.lock.held";

    /**
     * Long task timer of {@code @WithLock} calls holding their lock right now.
     *
     * @since 0.2.0
     */
    public static final String LOCK_HOLDING = "interlock.lock.holding";

    /** Counter of {@code @WithLock} calls that timed out. */
    public static final String LOCK_TIMEOUTS = "interlock.lock.timeouts";

    /**
     * Counter of calls skipped because their lock stayed held elsewhere ({@code onTimeout = SKIP}).
     *
     * @since 0.2.0
     */
    public static final String LOCK_SKIPS = "interlock.lock.skips";

    /**
     * Counter of {@code @WithLock} calls whose hold was lost while the method ran.
     *
     * @since 0.2.0
     */
    public static final String LOCK_LOST = "interlock.lock.lost";

    private final Manager manager;

    private final Tags tags;

    private final RecoveryCounter recoveries;

    /**
     * Creates the binder.
     *
     * @param manager the manager to observe
     * @param backend the backend's name, the {@code backend} tag
     * @param recoveries the counter the backend reports recoveries to
     */
    public InterlockMetrics(Manager manager, String backend, RecoveryCounter recoveries) {
        this.manager = manager;
        this.tags = Tags.of("backend", backend);
        this.recoveries = recoveries;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        gauge(registry, LOCKS_ALLOCATED, "Lock IDs allocated, by any process", Manager::allocatedLocks);
        if (manager.availableLocks().isPresent()) {
            gauge(registry, LOCKS_FREE, "Lock IDs still free to allocate", m -> orNaN(m.availableLocks()));
        }
        gauge(
                registry,
                LOCKS_HELD,
                "Locks held right now, by any process",
                m -> m.locksHeld().size());
        FunctionCounter.builder(LOCK_RECOVERIES, recoveries, RecoveryCounter::count)
                .description("Locks taken over from holders that died")
                .baseUnit("locks")
                .tags(tags)
                .register(registry);
    }

    private void gauge(MeterRegistry registry, String name, String description, ToDoubleFunction<Manager> value) {
        Gauge.builder(name, manager, m -> readOrNaN(m, value))
                .description(description)
                .baseUnit("locks")
                .tags(tags)
                .register(registry);
    }

    private static double orNaN(OptionalInt value) {
        return value.isPresent() ? value.getAsInt() : Double.NaN;
    }

    /** Reads a gauge; a closed or broken manager must not break the scrape of every other meter. */
    private static double readOrNaN(Manager manager, ToDoubleFunction<Manager> value) {
        try {
            return value.applyAsDouble(manager);
        } catch (RuntimeException ex) {
            return Double.NaN;
        }
    }
}
