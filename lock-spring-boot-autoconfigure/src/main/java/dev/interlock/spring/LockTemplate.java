package dev.interlock.spring;

import dev.interlock.LockHandle;
import dev.interlock.LockLostException;
import dev.interlock.LockTimeoutException;
import dev.interlock.Locker;
import dev.interlock.LostLock;
import dev.interlock.Manager;
import dev.interlock.ManagerClosedException;
import dev.interlock.spring.WithLock.OnTimeout;
import dev.interlock.spring.aop.WithLockListener;
import dev.interlock.spring.aop.WithLockListener.AcquisitionOutcome;
import io.micrometer.observation.ObservationRegistry;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.util.function.SingletonSupplier;

/**
 * The programmatic twin of {@link WithLock @WithLock}: runs code while holding a lock chosen by
 * name or ID, with a timeout and an {@link OnTimeout} behaviour, reporting to the same {@link
 * WithLockListener}s (metrics), observed the same way and sharing the same per-thread
 * reentrancy, so code that mixes the two in one call stack never locks a lock twice.
 *
 * <pre>{@code
 * Report report = lockTemplate.name("report-" + day)
 *         .timeout(Duration.ofSeconds(5))
 *         .call(() -> build(day));
 *
 * boolean ran = lockTemplate.name("nightly-cleanup").timeout(Duration.ZERO).onTimeout(OnTimeout.SKIP)
 *         .run(this::cleanUp);
 * }</pre>
 *
 * <p>Names are temporary name locks ({@link Manager#lockName(String)}): they hold an ID only while
 * held or awaited. Waits are interruptible and end with {@link LockWaitInterruptedException}. A
 * {@link CompletionStage} returned by the protected code keeps the lock until it completes.
 *
 * <p><b>Lost holds.</b> When the hold was lost while the protected code ran (the backend reported
 * it to the {@link LostLockTracker}, or the hold's handle was no longer {@linkplain
 * LockHandle#isValid() valid} when the code returned), the call is counted by the listeners'
 * {@link WithLockListener#lockLost} (metric {@code interlock.lock.lost}), published as a {@link
 * LockLostEvent}, and, once the code returned and the lock was released, ends with a {@link
 * LockLostException} instead of the result: the code ran, but maybe not alone. If the code threw,
 * its exception is thrown with the loss attached as suppressed; an asynchronous result cannot be
 * changed any more, so its loss is logged.
 *
 * <p><b>Observations.</b> With an {@link ObservationRegistry} that has handlers (the application
 * context's, for the auto-configured bean), every call, {@code @WithLock} ones included, is a
 * Micrometer observation named {@code interlock.lock.call}, from the start of the wait to the end
 * of the protected code (or the completion of its {@link CompletionStage}), with these
 * low-cardinality keys:
 *
 * <ul>
 *   <li>{@code lock}: the request's {@linkplain Request#tag(String) tag}, never the evaluated name
 *       (for {@code @WithLock}, the annotation's expression as written);
 *   <li>{@code class} and {@code method}: for a template call {@code dev.interlock.spring.LockTemplate}
 *       and the request method called ({@code call}, {@code callOptional} or {@code run}); for a
 *       {@code @WithLock} call the target class and the annotated method;
 *   <li>{@code outcome}: {@code success} (the code returned, also when the thread already held the
 *       lock and the call ran without locking again), {@code error}, {@code skipped}, {@code
 *       timeout} or {@code failed} (taking the lock failed).
 * </ul>
 *
 * <p>A template built with {@link #LockTemplate(Manager)} is not observed.
 *
 * @author Interlock team
 * @since 0.2.0
 */
public final class LockTemplate {

    private static final Logger logger = LoggerFactory.getLogger(LockTemplate.class);

    /**
     * The locks the current thread holds through any {@code LockTemplate} or {@code @WithLock},
     * keyed by manager instance (two application contexts have two unrelated managers).
     */
    private static final ThreadLocal<Set<HeldKey>> heldByThread = ThreadLocal.withInitial(HashSet::new);

    /** The holds whose protected code runs on the current thread, innermost first. */
    private static final ThreadLocal<Deque<Acquired>> runningByThread = ThreadLocal.withInitial(ArrayDeque::new);

    private final Supplier<Manager> manager;

    private final Supplier<List<WithLockListener>> listeners;

    private final Supplier<@Nullable LostLockTracker> lostLocks;

    private final Supplier<ObservationRegistry> observations;

    /**
     * Creates a template over {@code manager} without listeners and without observations. A hold
     * found no longer valid when the protected code returns still ends the call with a {@link
     * LockLostException}.
     *
     * @param manager the manager whose locks are taken
     */
    public LockTemplate(Manager manager) {
        this(() -> manager, List::of, () -> null, () -> ObservationRegistry.NOOP);
    }

    /**
     * Creates a template. The suppliers are called on first use, not before.
     *
     * @param manager supplies the manager whose locks are taken
     * @param listeners supplies the listeners told about every acquisition, release and lost hold
     * @param lostLocks supplies the tracker that the manager reports lost holds to, or {@code null}
     *     when it reports to none (then only a handle found invalid counts as lost, and no event is
     *     published)
     * @param observations supplies the registry that every call is observed in, {@link
     *     ObservationRegistry#NOOP} for none; called once, on the first call
     */
    public LockTemplate(
            Supplier<Manager> manager,
            Supplier<List<WithLockListener>> listeners,
            Supplier<@Nullable LostLockTracker> lostLocks,
            Supplier<ObservationRegistry> observations) {
        this.manager = SingletonSupplier.of(manager);
        this.listeners = SingletonSupplier.of(listeners);
        this.lostLocks = lostLocks;
        this.observations = SingletonSupplier.of(observations);
    }

    /**
     * Returns the fencing token of the innermost lock that the calling thread holds through {@link
     * WithLock @WithLock} or a {@code LockTemplate}, for the resource the protected code writes
     * to: a resource that refuses tokens not greater than the last one it accepted refuses the late
     * writes of a holder that lost its lock or was paused while another took it. Drawn when first
     * asked for on backends that draw tokens on demand.
     *
     * <pre>{@code
     * long token = LockTemplate.currentFencingToken(); // inside a @WithLock method
     * jdbc.update("UPDATE invoice SET total = ?, fence = ? WHERE id = ? AND fence < ?", total, token, id, token);
     * }</pre>
     *
     * @return the token of the current hold, positive
     * @throws IllegalStateException if the calling thread runs no code protected by {@code
     *     @WithLock} or a {@code LockTemplate}
     * @throws dev.interlock.LockLostException if the hold was lost before its token was drawn
     * @since 0.2.0
     */
    public static long currentFencingToken() {
        Acquired innermost = runningByThread.get().peek();
        if (innermost == null) {
            runningByThread.remove();
            throw new IllegalStateException(
                    "This thread (" + Thread.currentThread().getName() + ") runs no code"
                            + " protected by @WithLock or a LockTemplate, so it has no fencing token; call"
                            + " currentFencingToken() only inside the protected code, on the thread that runs it");
        }
        return innermost.token().getAsLong();
    }

    /**
     * Starts a request for the temporary name lock {@code name}.
     *
     * @param name the lock name, 1 to 255 characters of Unicode text
     * @return the request, waiting without limit and failing on timeout until told otherwise
     */
    public Request name(String name) {
        return new Request(Objects.requireNonNull(name, "name"), -1, null, OnTimeout.THROW, "name:" + name);
    }

    /**
     * Starts a request for the lock with ID {@code id}, as allocated by {@link
     * Manager#allocateLock()}.
     *
     * @param id the lock ID
     * @return the request, waiting without limit and failing on timeout until told otherwise
     */
    public Request id(int id) {
        if (id < 0) {
            throw new IllegalArgumentException("Lock IDs are never negative, but " + id + " was given");
        }
        return new Request(null, id, null, OnTimeout.THROW, "id:" + id);
    }

    /**
     * Code to run while a lock is held.
     *
     * @param <T> the result type
     * @param <E> the checked exception the code may throw
     * @author Interlock team
     * @since 0.2.0
     */
    @FunctionalInterface
    public interface LockCallback<T extends @Nullable Object, E extends Throwable> {

        /**
         * Runs the protected code.
         *
         * @return the result
         * @throws E whatever the code throws
         */
        T call() throws E;
    }

    /**
     * One lock request: immutable; the {@code timeout}, {@code onTimeout} and {@code tag} methods
     * return modified copies.
     *
     * @author Interlock team
     * @since 0.2.0
     */
    public final class Request {

        private final @Nullable String name;

        private final int id;

        private final @Nullable Duration timeout;

        private final OnTimeout onTimeout;

        private final String tag;

        Request(@Nullable String name, int id, @Nullable Duration timeout, OnTimeout onTimeout, String tag) {
            this.name = name;
            this.id = id;
            this.timeout = timeout;
            this.onTimeout = onTimeout;
            this.tag = tag;
        }

        /**
         * Sets the longest wait.
         *
         * @param timeout the longest wait, zero to try once, or {@code null} to wait as long as it
         *     takes (interruptibly)
         * @return a copy with the timeout
         */
        public Request timeout(@Nullable Duration timeout) {
            if (timeout != null && timeout.isNegative()) {
                throw new IllegalArgumentException("A lock timeout must not be negative, but was " + timeout
                        + "; use Duration.ZERO to try once, or null to wait as long as it takes");
            }
            return new Request(name, id, timeout, onTimeout, tag);
        }

        /**
         * Sets what happens when the timeout runs out.
         *
         * @param onTimeout {@link OnTimeout#THROW} or {@link OnTimeout#SKIP}
         * @return a copy with the behaviour
         */
        public Request onTimeout(OnTimeout onTimeout) {
            return new Request(name, id, timeout, Objects.requireNonNull(onTimeout, "onTimeout"), tag);
        }

        /**
         * Sets the value that identifies this call site in metrics and observations (their {@code
         * lock} tag and key). It must come from a small set (a constant per call site, never a
         * user's or an object's name); the default is {@code name:<name>} or {@code id:<id>},
         * which is fine for constant names only.
         *
         * @param tag the metric tag value
         * @return a copy with the tag
         */
        public Request tag(String tag) {
            return new Request(name, id, timeout, onTimeout, Objects.requireNonNull(tag, "tag"));
        }

        /**
         * Runs {@code action} while holding the lock and returns its result.
         *
         * @param <T> the result type
         * @param <E> the checked exception the action may throw
         * @param action the protected code
         * @return the action's result, or {@code null} when the call was skipped
         * @throws E what the action threw
         * @throws LockTimeoutException if the timeout ran out and the behaviour is {@link
         *     OnTimeout#THROW}
         * @throws LockWaitInterruptedException if interrupted while waiting
         */
        public <T extends @Nullable Object, E extends Throwable> @Nullable T call(LockCallback<T, E> action) throws E {
            return execute(this, describe(), LockTemplate.class, "call", action, () -> null);
        }

        /**
         * Runs {@code action} while holding the lock.
         *
         * @param action the protected code
         * @return {@code true} if it ran, {@code false} if the call was skipped
         * @throws LockTimeoutException if the timeout ran out and the behaviour is {@link
         *     OnTimeout#THROW}
         * @throws LockWaitInterruptedException if interrupted while waiting
         */
        public boolean run(Runnable action) {
            Boolean ran = execute(
                    this,
                    describe(),
                    LockTemplate.class,
                    "run",
                    () -> {
                        action.run();
                        return Boolean.TRUE;
                    },
                    () -> Boolean.FALSE);
            return Boolean.TRUE.equals(ran);
        }

        /**
         * Runs {@code action} while holding the lock and wraps its result.
         *
         * @param <T> the result type
         * @param <E> the checked exception the action may throw
         * @param action the protected code
         * @return the result, or empty when the call was skipped (or the result was {@code null})
         * @throws E what the action threw
         */
        public <T, E extends Throwable> Optional<T> callOptional(LockCallback<@Nullable T, E> action) throws E {
            return Optional.ofNullable(
                    execute(this, describe(), LockTemplate.class, "callOptional", action, () -> null));
        }

        private String describe() {
            return name != null ? "lock '" + name + "'" : "lock " + id;
        }

        /**
         * Returns the tag used in metrics.
         *
         * @return the tag
         */
        public String tag() {
            return tag;
        }

        /**
         * Returns the timeout.
         *
         * @return the longest wait, or {@code null} for no limit
         */
        public @Nullable Duration timeout() {
            return timeout;
        }

        /**
         * Returns the behaviour on timeout.
         *
         * @return the behaviour
         */
        public OnTimeout onTimeout() {
            return onTimeout;
        }
    }

    /**
     * Runs {@code action} under the lock of {@code request}, as an observation when the template
     * has a registry: the engine behind {@link Request} and {@code @WithLock}. Public so that the
     * {@code @WithLock} interceptor shares it, passing its method as the observation's {@code
     * class} and {@code method}; application code uses {@link #name(String)} and {@link #id(int)}.
     *
     * @param <T> the result type
     * @param <E> the checked exception the action may throw
     * @param request the lock, timeout and behaviour
     * @param description describes the lock in messages
     * @param type the observation's {@code class} key: the class whose code runs
     * @param method the observation's {@code method} key: the method whose code runs
     * @param action the protected code
     * @param skipped the result of a skipped call
     * @return the action's result, or {@code skipped}'s value
     * @throws E what the action threw
     * @throws LockLostException if the hold was lost while the action ran (the action ran to its
     *     end; its result is dropped)
     */
    public <T extends @Nullable Object, E extends Throwable> T execute(
            Request request,
            String description,
            Class<?> type,
            String method,
            LockCallback<T, E> action,
            Supplier<T> skipped)
            throws E {
        ObservationRegistry registry = observations.get();
        if (registry.isNoop()) {
            return locked(request, description, action, skipped);
        }
        return LockCallObservation.observe(
                registry,
                request.tag,
                type,
                method,
                action,
                skipped,
                (observed, observedSkipped) -> locked(request, description, observed, observedSkipped));
    }

    /** Runs {@code action} under the lock of {@code request}, unless the thread holds it already. */
    private <T extends @Nullable Object, E extends Throwable> T locked(
            Request request, String description, LockCallback<T, E> action, Supplier<T> skipped) throws E {
        Manager manager = this.manager.get();
        HeldKey key = new HeldKey(manager, request.name, request.id);
        Set<HeldKey> held = heldByThread.get();
        if (!held.add(key)) {
            return action.call();
        }
        try {
            Acquired acquired = acquire(manager, request, description);
            if (acquired == null) {
                return skipped.get();
            }
            Hold hold = new Hold(request, description, acquired, lostLocks.get());
            T result;
            try {
                result = callHolding(acquired, action);
            } catch (Throwable ex) {
                LockLostException lost = hold.end(true);
                if (lost != null) {
                    ex.addSuppressed(lost);
                }
                throw ex;
            }
            if (result instanceof CompletionStage<?> stage) {
                stage.whenComplete((value, error) -> hold.endAsync(error != null));
                return result;
            }
            LockLostException lost = hold.end(false);
            if (lost != null) {
                throw lost;
            }
            return result;
        } finally {
            held.remove(key);
            if (held.isEmpty()) {
                heldByThread.remove();
            }
        }
    }

    /** Runs the protected code with its hold known to {@link #currentFencingToken()}. */
    private static <T extends @Nullable Object, E extends Throwable> T callHolding(
            Acquired acquired, LockCallback<T, E> action) throws E {
        Deque<Acquired> running = runningByThread.get();
        running.push(acquired);
        try {
            return action.call();
        } finally {
            running.pop();
            if (running.isEmpty()) {
                runningByThread.remove();
            }
        }
    }

    private List<AutoCloseable> holdsStarted(String tag) {
        List<AutoCloseable> holds = null;
        for (WithLockListener listener : listeners.get()) {
            AutoCloseable hold = listener.holdStarted(tag);
            if (hold != null) {
                if (holds == null) {
                    holds = new java.util.ArrayList<>(2);
                }
                holds.add(hold);
            }
        }
        return holds == null ? List.of() : holds;
    }

    /** One hold by a template call, from acquisition to release. */
    private final class Hold {

        private final Request request;

        private final String description;

        private final Acquired acquired;

        private final @Nullable LostLockTracker tracker;

        private final LostLockTracker.@Nullable Watch watch;

        private final long acquiredAt = System.nanoTime();

        private final List<AutoCloseable> listenerHolds;

        Hold(Request request, String description, Acquired acquired, @Nullable LostLockTracker tracker) {
            this.request = request;
            this.description = description;
            this.acquired = acquired;
            this.tracker = tracker;
            this.watch = (tracker != null) ? tracker.watch(acquired.id(), request.name) : null;
            this.listenerHolds = holdsStarted(request.tag);
        }

        /**
         * Ends the hold once the protected code returned or threw: releases the lock and tells the
         * listeners. Returns the exception to end the call with when the hold was lost.
         */
        @Nullable
        LockLostException end(boolean failed) {
            LostLock lost = lost();
            release(failed);
            if (lost == null) {
                return null;
            }
            for (WithLockListener listener : listeners.get()) {
                listener.lockLost(request.tag, lost);
            }
            return new LockLostException(lost, lostMessage(description, lost));
        }

        /** Ends the hold of an asynchronous result, whose caller has its result already. */
        void endAsync(boolean failed) {
            LockLostException lost = end(failed);
            if (lost != null) {
                logger.error("{}", lost.getMessage());
            }
        }

        /** Returns the loss of this hold, checked before the release: reported, or seen on the handle. */
        private @Nullable LostLock lost() {
            LockHandle handle = acquired.handle();
            LostLock invalid = null;
            if (handle != null && !handle.isValid()) {
                invalid = new LostLock(
                        acquired.id(),
                        Optional.ofNullable(request.name),
                        tokenOf(handle),
                        "the hold was no longer valid when the protected code returned");
            }
            return (tracker != null && watch != null) ? tracker.end(watch, invalid) : invalid;
        }

        private void release(boolean failed) {
            for (AutoCloseable hold : listenerHolds) {
                try {
                    hold.close();
                } catch (Exception ex) {
                    logger.warn("A listener's hold of {} failed to close", description, ex);
                }
            }
            try {
                acquired.releaser().release();
            } catch (ManagerClosedException ex) {
                logger.warn("The manager was closed while the code held {}; closing released the lock", description);
            } catch (RuntimeException ex) {
                logger.error("Releasing {} failed", description, ex);
            }
            long heldNanos = System.nanoTime() - acquiredAt;
            for (WithLockListener listener : listeners.get()) {
                listener.released(request.tag, failed, heldNanos);
            }
        }
    }

    /** The token of a lost hold, or 0 when it never drew one (it cannot draw one any more). */
    private static long tokenOf(LockHandle handle) {
        try {
            return handle.fencingToken();
        } catch (RuntimeException ex) {
            return 0;
        }
    }

    private static String lostMessage(String description, LostLock lost) {
        long token = lost.fencingToken();
        String fence = (token > 0) ? "fencing token " + token : "no fencing token drawn";
        return "The hold of " + description + " was lost while the protected code ran (lock ID " + lost.id() + ", "
                + fence + "): " + lost.reason() + ". The code ran to its end, but the critical section was not"
                + " exclusive: another holder may have run it at the same time"
                + ((token > 0)
                        ? ", and a resource that checks fencing tokens refuses writes with token " + token
                                + " once a later holder wrote"
                        : "")
                + ". Check what this call changed and repeat it if that is safe; if holds are lost often, find out"
                + " why (server restarts, network cuts, pauses longer than the session timeout).";
    }

    /** Acquires the lock; returns the hold, or {@code null} when the call is skipped. */
    private @Nullable Acquired acquire(Manager manager, Request request, String description) {
        long start = System.nanoTime();
        AcquisitionOutcome outcome = AcquisitionOutcome.FAILED;
        try {
            Acquired acquired = request.name != null
                    ? acquireName(manager, request.name, request.timeout)
                    : acquireId(manager.retrieveLock(request.id), request.timeout);
            if (acquired != null) {
                outcome = AcquisitionOutcome.ACQUIRED;
                return acquired;
            }
            Duration timeout = Objects.requireNonNull(request.timeout);
            if (request.onTimeout == OnTimeout.SKIP) {
                outcome = AcquisitionOutcome.SKIPPED;
                logger.debug("Skipped the code protected by {}: held elsewhere for {}", description, timeout);
                return null;
            }
            outcome = AcquisitionOutcome.TIMEOUT;
            throw new LockTimeoutException(description, timeout);
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new LockWaitInterruptedException(description, ex);
        } finally {
            long waitNanos = System.nanoTime() - start;
            for (WithLockListener listener : listeners.get()) {
                listener.acquisitionEnded(request.tag, outcome, waitNanos);
            }
        }
    }

    private static @Nullable Acquired acquireName(Manager manager, String name, @Nullable Duration timeout)
            throws InterruptedException {
        Optional<LockHandle> held =
                (timeout == null) ? Optional.of(manager.lockName(name)) : manager.tryLockName(name, timeout);
        return held.map(handle -> new Acquired(
                        handle::close, handle::fencingToken, handle.locker().id(), handle))
                .orElse(null);
    }

    private static @Nullable Acquired acquireId(Locker locker, @Nullable Duration timeout) throws InterruptedException {
        if (timeout == null) {
            locker.lockInterruptibly();
        } else if (!locker.tryLock(timeout)) {
            return null;
        }
        return new Acquired(locker::unlock, locker::fencingToken, locker.id(), null);
    }

    @FunctionalInterface
    private interface Releaser {
        void release();
    }

    /**
     * An acquired lock.
     *
     * @param releaser releases it
     * @param token gives the hold's fencing token
     * @param id the lock's ID
     * @param handle the hold's handle, whose validity is checked when the code returns; {@code null}
     *     for a lock taken by ID, whose loss only the backend's report shows
     */
    private record Acquired(
            Releaser releaser,
            LongSupplier token,
            int id,
            @Nullable LockHandle handle) {}

    private record HeldKey(Manager manager, @Nullable String name, int id) {}
}
