package dev.interlock.spring.autoconfigure;

import dev.interlock.spring.LostLockTracker;
import dev.interlock.spring.aot.InterlockRuntimeHints;
import dev.interlock.spring.autoconfigure.InterlockBackendConfigurations.ManagerConfiguration;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.context.annotation.ImportRuntimeHints;
import org.springframework.core.env.Environment;

/**
 * {@link EnableAutoConfiguration Auto-configuration} for the Interlock {@link dev.interlock.Manager
 * lock manager}: one bean over the backend that {@code interlock.backend} selects (shared memory
 * on Linux and lock files elsewhere by default), opened or created at startup, unless the
 * application defines a {@code Manager} of its own. The backend is chosen when the bean is
 * created, so it follows {@code interlock.backend} at run time also with Spring AOT.
 *
 * @author Interlock team
 * @since 0.1.0
 */
@AutoConfiguration
@ConditionalOnBooleanProperty(name = "interlock.enabled", matchIfMissing = true)
@EnableConfigurationProperties(InterlockProperties.class)
@Import(ManagerConfiguration.class)
@ImportRuntimeHints(InterlockRuntimeHints.class)
public final class InterlockAutoConfiguration {

    /**
     * Warns at startup about retired properties that are still set
     * ({@code interlock.endpoint.free-all.enabled}, {@code interlock.health.min-available}).
     *
     * @param environment the environment
     * @return a marker bean
     */
    /**
     * The listener that the manager reports lost holds to: it publishes each as a {@link
     * dev.interlock.spring.LockLostEvent} and ends the {@code @WithLock} call that held the lock
     * with a {@link dev.interlock.LockLostException}.
     *
     * @param publisher the application's event publisher
     * @return the tracker
     * @since 0.2.0
     */
    @Bean
    @ConditionalOnMissingBean
    LostLockTracker interlockLostLockTracker(ApplicationEventPublisher publisher) {
        return new LostLockTracker(publisher);
    }

    @Bean
    static RetiredPropertiesCheck interlockRetiredPropertiesCheck(Environment environment) {
        return new RetiredPropertiesCheck(RetiredProperties.warnIfSet(environment));
    }

    /**
     * How many retired properties were found set at startup, each logged with its replacement.
     *
     * @param count the number of retired properties set
     * @author Interlock team
     * @since 0.2.0
     */
    public record RetiredPropertiesCheck(int count) {}
}
