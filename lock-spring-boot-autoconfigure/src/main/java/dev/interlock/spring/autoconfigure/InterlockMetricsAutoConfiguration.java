package dev.interlock.spring.autoconfigure;

import dev.interlock.Manager;
import dev.interlock.spring.metrics.InterlockMetrics;
import dev.interlock.spring.metrics.MicrometerWithLockListener;
import dev.interlock.spring.metrics.RecoveryCounter;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnSingleCandidate;
import org.springframework.context.annotation.Bean;

/**
 * {@link EnableAutoConfiguration Auto-configuration} for Interlock's Micrometer metrics: gauges of
 * the manager's locks, timers and counters for {@code @WithLock} calls and a counter of holder
 * recoveries; see {@link InterlockMetrics} for the names.
 *
 * @author Interlock team
 * @since 0.1.0
 */
@AutoConfiguration(
        after = InterlockAutoConfiguration.class,
        afterName = {
            "org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration",
            "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration",
            "org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration"
        })
@ConditionalOnBooleanProperty(name = "interlock.enabled", matchIfMissing = true)
@ConditionalOnClass(MeterRegistry.class)
@ConditionalOnSingleCandidate(Manager.class)
@ConditionalOnBean(MeterRegistry.class)
public final class InterlockMetricsAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean
    RecoveryCounter interlockRecoveryCounter() {
        return new RecoveryCounter();
    }

    @Bean
    @ConditionalOnMissingBean
    InterlockMetrics interlockMetrics(Manager manager, RecoveryCounter recoveries) {
        return new InterlockMetrics(manager, ManagerBackends.nameOf(manager), recoveries);
    }

    @Bean
    @ConditionalOnMissingBean
    MicrometerWithLockListener interlockWithLockMetrics(MeterRegistry registry) {
        return new MicrometerWithLockListener(registry);
    }
}
