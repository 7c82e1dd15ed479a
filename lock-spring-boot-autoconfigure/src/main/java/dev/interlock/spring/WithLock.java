package dev.interlock.spring;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Runs the annotated method while holding an Interlock lock, which excludes every other process
 * that uses the same lock storage (and every other thread of this one).
 *
 * <p>On a type, it applies to all the type's public methods; an annotation on a method wins over
 * the one on its type. The lock is chosen by exactly one of {@link #name()} and {@link #id()}:
 *
 * <pre>{@code
 * @WithLock(name = "'invoice-' + #invoice.id", timeout = "5s")
 * public void pay(Invoice invoice) { ... }
 *
 * @WithLock(id = "#container.lockId")
 * public void start(Container container) { ... }
 *
 * @WithLock(name = "nightly-report", timeout = "0", onTimeout = WithLock.OnTimeout.SKIP)
 * @Scheduled(cron = "0 0 3 * * *")
 * public void report() { ... }
 * }</pre>
 *
 * <p>The last example is the one for a scheduled job that every instance of an application runs:
 * the first instance takes the lock and runs the job, the others skip it instead of waiting and
 * running it again after the first one finished.
 *
 * <p><b>Literal or expression.</b> One rule for {@link #name()}: after {@code ${...}} placeholders
 * are resolved, a text that contains {@code #}, {@code '} or {@code @} is a SpEL expression
 * (arguments as {@code #invoice} or {@code #p0}, beans as {@code @tenant.id}), any other text is
 * the name itself. {@link #id()} is always an expression, and {@link #timeout()} always a duration
 * (placeholders resolved). Every annotated method is parsed and checked when the application
 * context starts; a mistake fails the start with a report naming the method.
 *
 * <p><b>Reentrancy.</b> A {@code @WithLock} method that calls another one (through the Spring
 * proxy) on the same thread with the same lock runs it without locking again, so it does not
 * deadlock; different locks nest. A call on another thread, including one this thread waits for,
 * is another holder and waits for the lock.
 *
 * <p><b>Transactions.</b> By default the lock is taken before a {@code @Transactional} method's
 * transaction begins and released after it commits or rolls back, so another process that
 * acquires the lock next sees the committed data. {@code interlock.aspect.order} changes where
 * the lock sits among other advice.
 *
 * <p><b>Exceptions.</b> The lock is released however the method ends. When the lock cannot be
 * acquired the method does not run: a {@link dev.interlock.LockTimeoutException} after the
 * {@link #timeout()} (or a skipped call, with {@link OnTimeout#SKIP}), a {@link
 * LockWaitInterruptedException} when the waiting thread is interrupted ({@code
 * Future.cancel(true)}, {@code shutdownNow()}), or the {@link dev.interlock.LockException} that
 * the backend threw.
 *
 * <p><b>Asynchronous methods.</b> A method returning a {@link java.util.concurrent.CompletionStage}
 * (such as a {@link java.util.concurrent.CompletableFuture}) holds the lock until that stage
 * completes, normally, exceptionally or by cancellation. Methods returning a result whose
 * completion cannot be observed, a plain {@link java.util.concurrent.Future} or a reactive
 * {@code Publisher} (Reactor's {@code Mono}/{@code Flux}), are refused when the context starts.
 *
 * @author Interlock team
 * @since 0.1.0
 */
@Target({ElementType.METHOD, ElementType.TYPE})
@Retention(RetentionPolicy.RUNTIME)
@Inherited
@Documented
public @interface WithLock {

    /**
     * The lock's name. When the text contains {@code #} or {@code '} it is a SpEL expression,
     * evaluated for each call with the method's arguments available by parameter name
     * ({@code #invoice}) and by position ({@code #p0}, {@code #a0}); otherwise it is the name
     * itself ({@code "nightly-report"}). Write a literal that contains one of those characters as
     * a SpEL string ({@code "'job#1'"}). The name is a temporary name lock ({@link
     * dev.interlock.Manager#lockName(String)}): it holds a lock ID only while it is held or
     * awaited, so names per object (per invoice, per user) never exhaust the lock storage. Its
     * fencing tokens grow per ID, not per name.
     *
     * @return the name or an expression giving it; empty when {@link #id()} is used
     */
    String name() default "";

    /**
     * A SpEL expression giving the lock's numeric ID, evaluated for each call with the method's
     * arguments available by name ({@code #container.lockId}); a number such as {@code "7"} is a
     * valid expression. Use it for IDs that callers allocated with {@link
     * dev.interlock.Manager#allocateLock()} and stored with the objects they protect.
     *
     * @return the expression; empty when {@link #name()} is used
     */
    String id() default "";

    /**
     * How long to wait for the lock at most, such as {@code "5s"}, {@code "200ms"} or
     * {@code "PT1M"}; a bare number means milliseconds. It protects callers from waiting forever
     * behind a holder that is stuck: once it runs out the call fails with {@link
     * dev.interlock.LockTimeoutException} and the method does not run. Empty (the default) means
     * wait as long as it takes.
     *
     * @return the longest wait, or empty to wait indefinitely
     */
    String timeout() default "";

    /**
     * What a call does when the {@link #timeout()} runs out while another holder keeps the lock:
     * fail with {@link dev.interlock.LockTimeoutException} (the default), or skip the method.
     *
     * @return the behaviour on timeout
     * @since 0.2.0
     */
    OnTimeout onTimeout() default OnTimeout.THROW;

    /**
     * What a call does when its lock stays held elsewhere for the whole timeout.
     *
     * @author Interlock team
     * @since 0.2.0
     */
    enum OnTimeout {

        /** Fail the call with {@link dev.interlock.LockTimeoutException}; the method does not run. */
        THROW,

        /**
         * Do not run the method and return an empty result: {@code null}, {@link
         * java.util.Optional#empty()}, an empty collection, map or array, or a completed stage of
         * such a value for an asynchronous method. A primitive return type is refused at startup.
         * Skipped calls are counted ({@code interlock.lock.skips}). With {@code timeout = "0"} this
         * is ShedLock's behaviour for scheduled jobs.
         */
        SKIP
    }
}
