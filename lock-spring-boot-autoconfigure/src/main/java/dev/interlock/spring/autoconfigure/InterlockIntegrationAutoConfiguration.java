package dev.interlock.spring.autoconfigure;

import dev.interlock.Manager;
import dev.interlock.spring.integration.InterlockLockRegistry;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnSingleCandidate;
import org.springframework.context.annotation.Bean;
import org.springframework.integration.support.locks.LockRegistry;

/**
 * {@link EnableAutoConfiguration Auto-configuration} for {@link InterlockLockRegistry}, the Spring
 * Integration {@link LockRegistry} over the application's single {@link Manager}, when Spring
 * Integration is on the classpath and the application defines no {@code LockRegistry} of its own.
 *
 * @author Interlock team
 * @since 0.2.0
 */
@AutoConfiguration(after = InterlockAutoConfiguration.class)
@ConditionalOnClass(LockRegistry.class)
@ConditionalOnBooleanProperty(name = "interlock.enabled", matchIfMissing = true)
@ConditionalOnSingleCandidate(Manager.class)
public final class InterlockIntegrationAutoConfiguration {

    /**
     * The registry.
     *
     * @param manager the manager
     * @return the registry
     */
    @Bean
    @ConditionalOnMissingBean(LockRegistry.class)
    InterlockLockRegistry interlockLockRegistry(ObjectProvider<Manager> manager) {
        return new InterlockLockRegistry(manager::getObject);
    }
}
