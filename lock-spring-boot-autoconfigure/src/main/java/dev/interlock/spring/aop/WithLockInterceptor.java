package dev.interlock.spring.aop;

import dev.interlock.Manager;
import dev.interlock.spring.LockTemplate;
import dev.interlock.spring.LostLockTracker;
import dev.interlock.spring.aop.WithLockAttribute.ResolvedLock;
import io.micrometer.observation.ObservationRegistry;
import java.lang.reflect.Method;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.aopalliance.intercept.MethodInterceptor;
import org.aopalliance.intercept.MethodInvocation;
import org.jspecify.annotations.Nullable;
import org.springframework.aop.support.AopUtils;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.core.MethodClassKey;

/**
 * Takes the lock that a method's {@link dev.interlock.spring.WithLock @WithLock} names, runs the
 * method and releases the lock however the method ends, through a {@link LockTemplate}, which
 * also keeps the per-thread reentrancy: Interlock locks are deliberately not reentrant, so nested
 * calls for a lock the thread holds through {@code @WithLock} or a {@code LockTemplate} run
 * without locking again. A hold lost while the method ran ends the call with a {@link
 * dev.interlock.LockLostException} once the method returned (see {@link LockTemplate}). The
 * template also makes each call an observation, keyed by the annotation's expression text (the
 * request's tag), the target class and the method, when the application has an {@link
 * ObservationRegistry} bean.
 *
 * @author Interlock team
 */
final class WithLockInterceptor implements MethodInterceptor {

    private final LockTemplate template;

    private final Map<MethodClassKey, WithLockAttribute> attributes = new ConcurrentHashMap<>();

    private volatile @Nullable BeanFactory beanFactory;

    WithLockInterceptor(
            Supplier<Manager> manager,
            Supplier<List<WithLockListener>> listeners,
            Supplier<@Nullable LostLockTracker> lostLocks) {
        this.template = new LockTemplate(manager, listeners, lostLocks, this::observationRegistry);
    }

    void setBeanFactory(BeanFactory beanFactory) {
        this.beanFactory = beanFactory;
    }

    @Override
    public @Nullable Object invoke(MethodInvocation invocation) throws Throwable {
        Object target = invocation.getThis();
        Method method = invocation.getMethod();
        Class<?> targetClass = (target != null) ? AopUtils.getTargetClass(target) : method.getDeclaringClass();
        WithLockAttribute attribute = attributes.computeIfAbsent(
                new MethodClassKey(method, targetClass),
                key -> WithLockAttribute.parse(method, targetClass, beanFactory));
        ResolvedLock lock = attribute.resolve(template, target, invocation.getArguments());
        return template.execute(
                lock.request(),
                lock.description(),
                targetClass,
                method.getName(),
                invocation::proceed,
                attribute::skippedResult);
    }

    /**
     * Looks the registry up, once, on the first call (the template caches it): the advisor exists
     * before most beans do.
     */
    private ObservationRegistry observationRegistry() {
        BeanFactory factory = beanFactory;
        return (factory != null)
                ? factory.getBeanProvider(ObservationRegistry.class).getIfUnique(() -> ObservationRegistry.NOOP)
                : ObservationRegistry.NOOP;
    }
}
