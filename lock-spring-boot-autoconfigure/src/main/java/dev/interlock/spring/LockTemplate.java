package dev.interlock.spring;

import dev.interlock.LockHandle;
import dev.interlock.LockTimeoutException;
import dev.interlock.Locker;
import dev.interlock.Manager;
import dev.interlock.ManagerClosedException;
import dev.interlock.spring.WithLock.OnTimeout;
import dev.interlock.spring.aop.WithLockListener;
import dev.interlock.spring.aop.WithLockListener.AcquisitionOutcome;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.util.function.SingletonSupplier;

/**
 * The programmatic twin of {@link WithLock @WithLock}: runs code while holding a lock chosen by
 * name or ID, with a timeout and an {@link OnTimeout} behaviour, reporting to the same {@link
 * WithLockListener}s (metrics) and sharing the same per-thread reentrancy, so code that mixes the
 * two in one call stack never locks a lock twice.
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

    private final Supplier<Manager> manager;

    private final Supplier<List<WithLockListener>> listeners;

    /**
     * Creates a template over {@code manager} without listeners.
     *
     * @param manager the manager whose locks are taken
     */
    public LockTemplate(Manager manager) {
        this(() -> manager, List::of);
    }

    /**
     * Creates a template. Both suppliers are called on first use, not before.
     *
     * @param manager supplies the manager whose locks are taken
     * @param listeners supplies the listeners told about every acquisition and release
     */
    public LockTemplate(Supplier<Manager> manager, Supplier<List<WithLockListener>> listeners) {
        this.manager = SingletonSupplier.of(manager);
        this.listeners = SingletonSupplier.of(listeners);
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
         * Sets the value that identifies this call site in metrics and observations. It must come
         * from a small set (a constant per call site, never a user's or an object's name); the
         * default is {@code name:<name>} or {@code id:<id>}, which is fine for constant names only.
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
            return execute(this, describe(), action, () -> null);
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
            return Optional.ofNullable(call(action));
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
     * Runs {@code action} under the lock of {@code request}: the engine behind {@link Request} and
     * {@code @WithLock}. Public so that the {@code @WithLock} interceptor shares it; application
     * code uses {@link #name(String)} and {@link #id(int)}.
     *
     * @param <T> the result type
     * @param <E> the checked exception the action may throw
     * @param request the lock, timeout and behaviour
     * @param description describes the lock in messages
     * @param action the protected code
     * @param skipped the result of a skipped call
     * @return the action's result, or {@code skipped}'s value
     * @throws E what the action threw
     */
    public <T extends @Nullable Object, E extends Throwable> T execute(
            Request request, String description, LockCallback<T, E> action, Supplier<T> skipped) throws E {
        Manager manager = this.manager.get();
        HeldKey key = new HeldKey(manager, request.name, request.id);
        Set<HeldKey> held = heldByThread.get();
        if (!held.add(key)) {
            return action.call();
        }
        try {
            Releaser releaser = acquire(manager, request, description);
            if (releaser == null) {
                return skipped.get();
            }
            long acquiredAt = System.nanoTime();
            List<AutoCloseable> holds = holdsStarted(request.tag);
            boolean async = false;
            boolean failed = true;
            try {
                T result = action.call();
                if (result instanceof CompletionStage<?> stage) {
                    async = true;
                    stage.whenComplete((value, error) ->
                            released(request, description, releaser, acquiredAt, holds, error != null));
                }
                failed = false;
                return result;
            } finally {
                if (!async) {
                    released(request, description, releaser, acquiredAt, holds, failed);
                }
            }
        } finally {
            held.remove(key);
            if (held.isEmpty()) {
                heldByThread.remove();
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

    private void released(
            Request request,
            String description,
            Releaser releaser,
            long acquiredAt,
            List<AutoCloseable> holds,
            boolean failed) {
        for (AutoCloseable hold : holds) {
            try {
                hold.close();
            } catch (Exception ex) {
                logger.warn("A listener's hold of {} failed to close", description, ex);
            }
        }
        try {
            releaser.release();
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

    /** Acquires the lock; returns how to release it, or {@code null} when the call is skipped. */
    private @Nullable Releaser acquire(Manager manager, Request request, String description) {
        long start = System.nanoTime();
        AcquisitionOutcome outcome = AcquisitionOutcome.FAILED;
        try {
            Releaser releaser = request.name != null
                    ? acquireName(manager, request.name, request.timeout)
                    : acquireId(manager.retrieveLock(request.id), request.timeout);
            if (releaser != null) {
                outcome = AcquisitionOutcome.ACQUIRED;
                return releaser;
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

    private static @Nullable Releaser acquireName(Manager manager, String name, @Nullable Duration timeout)
            throws InterruptedException {
        if (timeout == null) {
            return manager.lockName(name)::close;
        }
        Optional<LockHandle> held = manager.tryLockName(name, timeout);
        return held.<Releaser>map(handle -> handle::close).orElse(null);
    }

    private static @Nullable Releaser acquireId(Locker locker, @Nullable Duration timeout) throws InterruptedException {
        if (timeout == null) {
            locker.lockInterruptibly();
            return locker::unlock;
        }
        return locker.tryLock(timeout) ? locker::unlock : null;
    }

    @FunctionalInterface
    private interface Releaser {
        void release();
    }

    private record HeldKey(Manager manager, @Nullable String name, int id) {}
}
