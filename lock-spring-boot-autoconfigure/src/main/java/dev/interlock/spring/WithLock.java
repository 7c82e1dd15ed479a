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
 * @WithLock(name = "nightly-report")
 * @Scheduled(cron = "0 0 3 * * *")
 * public void report() { ... }
 * }</pre>
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
 * {@link #timeout()}, or the {@link dev.interlock.LockException} that the backend threw. The lock
 * is held while the method runs on the calling thread only: a method that returns a future or
 * another asynchronous result releases the lock when it returns, before that result completes.
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
     * a SpEL string ({@code "'job#1'"}). The name is bound to a lock ID on first use, in every
     * process, by {@link dev.interlock.Manager#namedLock(String)}, and keeps that ID allocated
     * until it is freed: a name per object (per invoice) takes one ID per object, so size the lock
     * count for them, free the names of removed objects, or store IDs with the objects and use
     * {@link #id()}.
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
}
