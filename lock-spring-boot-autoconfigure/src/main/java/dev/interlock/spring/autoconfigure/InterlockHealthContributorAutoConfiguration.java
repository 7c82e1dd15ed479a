package dev.interlock.spring.autoconfigure;

import dev.interlock.Manager;
import dev.interlock.spring.actuate.InterlockHealthIndicator;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnSingleCandidate;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.Environment;

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
@EnableConfigurationProperties(InterlockHealthProperties.class)
public final class InterlockHealthContributorAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean(name = {"interlockHealthIndicator", "interlockHealthContributor"})
    InterlockHealthIndicator interlockHealthIndicator(
            Manager manager, InterlockHealthProperties properties, Environment environment) {
        int minAvailable = properties.getMinAvailable();
        String retired = environment.getProperty("interlock.health.min-available");
        if (retired != null && !environment.containsProperty("management.health.interlock.min-available")) {
            minAvailable = Integer.parseInt(retired.strip());
        }
        if (minAvailable < 0) {
            throw new InvalidInterlockPropertyException(
                    "management.health.interlock.min-available",
                    Integer.toString(minAvailable),
                    "the fewest locks that must remain free cannot be negative.",
                    "Set it to 0 or more (the default 1 reports DOWN once every lock is allocated).");
        }
        return new InterlockHealthIndicator(manager, ManagerBackends.nameOf(manager), minAvailable);
    }
}
