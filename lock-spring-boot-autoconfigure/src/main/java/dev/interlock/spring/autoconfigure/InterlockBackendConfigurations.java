package dev.interlock.spring.autoconfigure;

import dev.interlock.Manager;
import dev.interlock.memory.InMemoryManager;
import dev.interlock.spring.autoconfigure.InterlockProperties.Backend;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * One configuration per backend, each creating the {@link dev.interlock.Manager} bean when
 * {@code interlock.backend} selects it and the application defines no manager of its own.
 * Every manager bean is closed with the context, which releases the locks this process still
 * holds and leaves the storage in place for other processes.
 *
 * @author Interlock team
 */
final class InterlockBackendConfigurations {

    private InterlockBackendConfigurations() {}

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnBackend(Backend.MEMORY)
    static class MemoryBackendConfiguration {

        @Bean(destroyMethod = "close")
        @ConditionalOnMissingBean(Manager.class)
        InMemoryManager interlockManager(InterlockProperties properties) {
            return InMemoryManager.create(properties.getMemory().getNumLocks());
        }
    }
}
