package dev.interlock.spring.aop;

import dev.interlock.LockException;
import dev.interlock.LockTimeoutException;
import dev.interlock.Locker;
import dev.interlock.Manager;
import dev.interlock.ManagerClosedException;
import dev.interlock.spring.aop.WithLockAttribute.ResolvedLock;
import dev.interlock.spring.aop.WithLockListener.AcquisitionOutcome;
import java.lang.reflect.Method;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.aopalliance.intercept.MethodInterceptor;
import org.aopalliance.intercept.MethodInvocation;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.aop.support.AopUtils;
import org.springframework.core.MethodClassKey;
import org.springframework.util.function.SingletonSupplier;

/**
 * Takes the lock that a method's {@link dev.interlock.spring.WithLock @WithLock} names, runs the
 * method and releases the lock however the method ends.
 *
 * <p>Interlock locks are deliberately not reentrant (a thread that locks a lock it holds gets
 * {@link IllegalMonitorStateException}), so this interceptor tracks the lock IDs that the calling
 * thread acquired through it and runs nested calls for one of them without locking again.
 *
 * @author Interlock team
 */
final class WithLockInterceptor implements MethodInterceptor {

    private static final Logger logger = LoggerFactory.getLogger(WithLockInterceptor.class);

    private final Supplier<Manager> manager;

    private final Supplier<List<WithLockListener>> listeners;

    private final Map<MethodClassKey, WithLockAttribute> attributes = new ConcurrentHashMap<>();

    /**
     * The IDs of the locks the current thread holds through this interceptor. Per instance, not
     * static: two application contexts have two managers, whose IDs are unrelated.
     */
    private final ThreadLocal<Set<Integer>> heldByThread = ThreadLocal.withInitial(HashSet::new);

    WithLockInterceptor(Supplier<Manager> manager, Supplier<List<WithLockListener>> listeners) {
        this.manager = SingletonSupplier.of(manager);
        this.listeners = SingletonSupplier.of(listeners);
    }

    @Override
    public @Nullable Object invoke(MethodInvocation invocation) throws Throwable {
        Object target = invocation.getThis();
        Method method = invocation.getMethod();
        Class<?> targetClass = (target != null) ? AopUtils.getTargetClass(target) : method.getDeclaringClass();
        WithLockAttribute attribute = attributes.computeIfAbsent(
                new MethodClassKey(method, targetClass), key -> WithLockAttribute.parse(method, targetClass));
        ResolvedLock lock = attribute.resolve(manager.get(), target, invocation.getArguments());
        Set<Integer> held = heldByThread.get();
        if (!held.add(lock.locker().id())) {
            return invocation.proceed();
        }
        try {
            acquire(attribute, lock);
            long acquiredAt = System.nanoTime();
            boolean failed = true;
            try {
                Object result = invocation.proceed();
                failed = false;
                return result;
            } finally {
                release(attribute, lock);
                long heldNanos = System.nanoTime() - acquiredAt;
                for (WithLockListener listener : listeners.get()) {
                    listener.released(attribute.expressionText(), failed, heldNanos);
                }
            }
        } finally {
            held.remove(lock.locker().id());
            if (held.isEmpty()) {
                heldByThread.remove();
            }
        }
    }

    /**
     * Unlocks. A manager closed while the method ran (a scheduled task still running at context
     * shutdown) has already released the lock; failing the call for that would replace the
     * method's own result or exception, so it is only logged.
     */
    private static void release(WithLockAttribute attribute, ResolvedLock lock) {
        try {
            lock.locker().unlock();
        } catch (ManagerClosedException ex) {
            logger.warn(
                    "The manager was closed while the method held {}; closing released the lock",
                    attribute.describe(lock));
        }
    }

    private void acquire(WithLockAttribute attribute, ResolvedLock lock) {
        Locker locker = lock.locker();
        Duration timeout = attribute.timeout();
        long start = System.nanoTime();
        AcquisitionOutcome outcome = AcquisitionOutcome.FAILED;
        try {
            if (timeout == null) {
                locker.lock();
                outcome = AcquisitionOutcome.ACQUIRED;
            } else if (locker.tryLock(timeout)) {
                outcome = AcquisitionOutcome.ACQUIRED;
            } else {
                outcome = AcquisitionOutcome.TIMEOUT;
                throw new LockTimeoutException(attribute.describe(lock), timeout);
            }
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new LockException(
                    "Interrupted while waiting for " + attribute.describe(lock)
                            + "; the method did not run and the lock is not held",
                    ex);
        } finally {
            long waitNanos = System.nanoTime() - start;
            for (WithLockListener listener : listeners.get()) {
                listener.acquisitionEnded(attribute.expressionText(), outcome, waitNanos);
            }
        }
    }
}
