package dev.interlock.spring.autoconfigure;

import dev.interlock.spring.autoconfigure.InterlockBackendConfigurations.FileBackendConfiguration;
import dev.interlock.spring.autoconfigure.InterlockBackendConfigurations.MemoryBackendConfiguration;
import dev.interlock.spring.autoconfigure.InterlockBackendConfigurations.ShmBackendConfiguration;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Import;

/**
 * {@link EnableAutoConfiguration Auto-configuration} for the Interlock {@link dev.interlock.Manager
 * lock manager}: one bean over the backend that {@code interlock.backend} selects (shared memory
 * on Linux and lock files elsewhere by default), opened or created at startup, unless the
 * application defines a {@code Manager} of its own.
 *
 * @author Interlock team
 * @since 0.1.0
 */
@AutoConfiguration
@EnableConfigurationProperties(InterlockProperties.class)
@Import({ShmBackendConfiguration.class, FileBackendConfiguration.class, MemoryBackendConfiguration.class})
public final class InterlockAutoConfiguration {}
