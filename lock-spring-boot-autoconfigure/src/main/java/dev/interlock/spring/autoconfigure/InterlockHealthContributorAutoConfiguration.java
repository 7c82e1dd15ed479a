package dev.interlock.spring.autoconfigure;

import dev.interlock.Manager;
import dev.interlock.spring.actuate.InterlockHealthIndicator;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnSingleCandidate;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;

/**
 * {@link EnableAutoConfiguration Auto-configuration} for the {@link InterlockHealthIndicator
 * interlock health indicator}; {@code management.health.interlock.enabled=false} turns it off.
 *
 * @author Interlock team
 * @since 0.1.0
 */
@AutoConfiguration(
        after = InterlockAutoConfiguration.class,
        beforeName = "org.springframework.boot.health.autoconfigure.contributor.HealthContributorAutoConfiguration")
@ConditionalOnBooleanProperty(name = "interlock.enabled", matchIfMissing = true)
@ConditionalOnClass(HealthIndicator.class)
@ConditionalOnSingleCandidate(Manager.class)
@ConditionalOnEnabledHealthIndicator("interlock")
public final class InterlockHealthContributorAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean(name = "interlockHealthIndicator")
    InterlockHealthIndicator interlockHealthIndicator(Manager manager, InterlockProperties properties) {
        return new InterlockHealthIndicator(
                manager, ManagerBackends.nameOf(manager), properties.getHealth().getMinAvailable());
    }
}
