package dev.interlock.spring.aop;

import dev.interlock.Manager;
import dev.interlock.spring.LostLockTracker;
import dev.interlock.spring.WithLock;
import java.lang.reflect.Method;
import java.util.List;
import java.util.function.Supplier;
import org.aopalliance.aop.Advice;
import org.jspecify.annotations.Nullable;
import org.springframework.aop.Pointcut;
import org.springframework.aop.support.AbstractPointcutAdvisor;
import org.springframework.aop.support.StaticMethodMatcherPointcut;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.BeanFactoryAware;
import org.springframework.core.Ordered;

/**
 * Advisor that applies {@link WithLock @WithLock} to the methods of Spring beans through a Spring
 * AOP proxy, without the AspectJ weaver. Register it as an infrastructure bean so that the
 * auto-proxy creator applies it.
 *
 * <p>Its {@linkplain #getOrder() order} decides where the lock sits among other advice. The
 * {@linkplain #DEFAULT_ORDER default} runs before the transaction advisor (whose default order
 * is {@link Ordered#LOWEST_PRECEDENCE}), so the lock is held around the whole transaction.
 *
 * @author Interlock team
 * @since 0.1.0
 */
public final class WithLockAdvisor extends AbstractPointcutAdvisor implements BeanFactoryAware {

    private static final long serialVersionUID = 1L;

    /**
     * The default order: ahead of {@code @Transactional}, which uses {@link
     * Ordered#LOWEST_PRECEDENCE} unless told otherwise.
     */
    public static final int DEFAULT_ORDER = Ordered.LOWEST_PRECEDENCE - 100;

    private final transient WithLockInterceptor interceptor;

    private final transient Pointcut pointcut = new WithLockPointcut();

    /**
     * Creates the advisor. The suppliers are called on the first advised call, not before, so
     * that creating the advisor early (as auto-proxying does) creates no manager.
     *
     * @param manager supplies the manager whose locks are taken
     * @param listeners supplies the listeners told about every acquisition, release and lost hold
     * @param lostLocks supplies the tracker the manager reports lost holds to, or {@code null}
     * @param order the advisor's order
     */
    public WithLockAdvisor(
            Supplier<Manager> manager,
            Supplier<List<WithLockListener>> listeners,
            Supplier<@Nullable LostLockTracker> lostLocks,
            int order) {
        this.interceptor = new WithLockInterceptor(manager, listeners, lostLocks);
        setOrder(order);
    }

    /**
     * Lets {@code @WithLock} resolve {@code ${...}} placeholders and {@code @bean} references.
     *
     * @param beanFactory the bean factory of the application context
     */
    @Override
    public void setBeanFactory(BeanFactory beanFactory) {
        interceptor.setBeanFactory(beanFactory);
    }

    @Override
    public Pointcut getPointcut() {
        return pointcut;
    }

    @Override
    public Advice getAdvice() {
        return interceptor;
    }

    /** Matches methods that carry {@code @WithLock} themselves or are public methods of an annotated type. */
    private static final class WithLockPointcut extends StaticMethodMatcherPointcut {

        @Override
        public boolean matches(Method method, Class<?> targetClass) {
            return WithLockAttribute.findAnnotation(method, targetClass) != null;
        }
    }
}
