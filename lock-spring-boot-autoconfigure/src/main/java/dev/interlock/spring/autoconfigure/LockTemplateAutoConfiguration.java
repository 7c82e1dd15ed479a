package dev.interlock.spring.autoconfigure;

import dev.interlock.Manager;
import dev.interlock.spring.LockTemplate;
import dev.interlock.spring.LostLockTracker;
import dev.interlock.spring.aop.WithLockListener;
import io.micrometer.observation.ObservationRegistry;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnSingleCandidate;
import org.springframework.context.annotation.Bean;

/**
 * {@link EnableAutoConfiguration Auto-configuration} for {@link LockTemplate}, the programmatic
 * twin of {@code @WithLock}, over the application's single {@link Manager}.
 *
 * @author Interlock team
 * @since 0.2.0
 */
@AutoConfiguration(after = InterlockAutoConfiguration.class)
@ConditionalOnBooleanProperty(name = "interlock.enabled", matchIfMissing = true)
@ConditionalOnSingleCandidate(Manager.class)
public final class LockTemplateAutoConfiguration {

    /**
     * The template, reporting to the same listeners (metrics) as {@code @WithLock} and observing
     * its calls in the application's {@link ObservationRegistry}, if it has one.
     *
     * @param manager the manager
     * @param listeners the listeners
     * @param lostLocks the tracker the manager reports lost holds to
     * @param observations the registry calls are observed in; without one they are not observed
     * @return the template
     */
    @Bean
    @ConditionalOnMissingBean
    LockTemplate lockTemplate(
            ObjectProvider<Manager> manager,
            ObjectProvider<WithLockListener> listeners,
            ObjectProvider<LostLockTracker> lostLocks,
            ObjectProvider<ObservationRegistry> observations) {
        return new LockTemplate(
                manager::getObject,
                () -> listeners.orderedStream().toList(),
                lostLocks::getIfUnique,
                () -> observations.getIfUnique(() -> ObservationRegistry.NOOP));
    }
}
