package dev.interlock.spring.autoconfigure;

import dev.interlock.Manager;
import dev.interlock.spring.LostLockTracker;
import dev.interlock.spring.aop.WithLockAdvisor;
import dev.interlock.spring.aop.WithLockListener;
import dev.interlock.spring.aop.WithLockMethodValidator;
import org.springframework.aop.config.AopConfigUtils;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.beans.factory.support.BeanDefinitionRegistry;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnSingleCandidate;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.context.annotation.ImportBeanDefinitionRegistrar;
import org.springframework.context.annotation.Role;
import org.springframework.core.env.Environment;
import org.springframework.core.type.AnnotationMetadata;

/**
 * {@link EnableAutoConfiguration Auto-configuration} for {@link dev.interlock.spring.WithLock
 * &#64;WithLock}: an infrastructure {@link WithLockAdvisor}, applied by Spring AOP proxies, so the
 * AspectJ weaver is not needed.
 *
 * @author Interlock team
 * @since 0.1.0
 */
@AutoConfiguration(after = {InterlockAutoConfiguration.class, AopAutoConfiguration.class})
@ConditionalOnBooleanProperty(
        name = {"interlock.enabled", "interlock.aspect.enabled"},
        matchIfMissing = true)
@ConditionalOnSingleCandidate(Manager.class)
@Import(WithLockAutoConfiguration.AutoProxyRegistrar.class)
public final class WithLockAutoConfiguration {

    /**
     * The advisor. Static and lazy about its dependencies: auto-proxying creates advisors before
     * most other beans, and a manager or listener created that early would miss post-processing.
     * The order is bound straight from the environment for the same reason.
     */
    @Bean
    @Role(BeanDefinition.ROLE_INFRASTRUCTURE)
    @ConditionalOnMissingBean
    static WithLockAdvisor withLockAdvisor(
            ObjectProvider<Manager> manager,
            ObjectProvider<WithLockListener> listeners,
            ObjectProvider<LostLockTracker> lostLocks,
            Environment environment) {
        int order = Binder.get(environment)
                .bind("interlock.aspect.order", Integer.class)
                .orElse(WithLockAdvisor.DEFAULT_ORDER);
        return new WithLockAdvisor(
                manager::getObject, () -> listeners.orderedStream().toList(), lostLocks::getIfUnique, order);
    }

    /**
     * Checks every {@code @WithLock} method when the context has started.
     *
     * @return the validator
     */
    @Bean
    @Role(BeanDefinition.ROLE_INFRASTRUCTURE)
    @ConditionalOnMissingBean
    static WithLockMethodValidator withLockMethodValidator() {
        return new WithLockMethodValidator();
    }

    /**
     * Registers Spring's infrastructure auto-proxy creator unless a stronger one is already
     * registered, as {@code @EnableTransactionManagement} does, so {@code @WithLock} works even
     * when {@code spring.aop.auto=false} or AspectJ is absent with JDK proxies selected.
     */
    static final class AutoProxyRegistrar implements ImportBeanDefinitionRegistrar {

        @Override
        public void registerBeanDefinitions(AnnotationMetadata metadata, BeanDefinitionRegistry registry) {
            AopConfigUtils.registerAutoProxyCreatorIfNecessary(registry);
        }
    }
}
