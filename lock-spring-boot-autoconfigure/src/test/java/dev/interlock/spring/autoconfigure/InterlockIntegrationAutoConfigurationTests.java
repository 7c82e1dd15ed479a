package dev.interlock.spring.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import dev.interlock.Manager;
import dev.interlock.memory.InMemoryManager;
import dev.interlock.spring.integration.InterlockLockRegistry;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.integration.support.locks.DefaultLockRegistry;
import org.springframework.integration.support.locks.LockRegistry;

/**
 * Tests for {@link InterlockIntegrationAutoConfiguration}.
 *
 * @author Interlock team
 */
class InterlockIntegrationAutoConfigurationTests {

    private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(
                    InterlockAutoConfiguration.class, InterlockIntegrationAutoConfiguration.class))
            .withPropertyValues("interlock.backend=memory", "interlock.memory.num-locks=8");

    @Test
    void springIntegrationPresentShouldConfigureARegistryOverTheManager() {
        contextRunner.run(context -> {
            assertThat(context).hasSingleBean(InterlockLockRegistry.class);
            context.getBean(LockRegistry.class).executeLocked("job", () -> {});
            assertThat(context.getBean(Manager.class).allocatedLocks()).isZero();
        });
    }

    @Test
    void springIntegrationMissingShouldConfigureNoRegistry() {
        contextRunner
                .withClassLoader(new FilteredClassLoader(LockRegistry.class))
                .run(context -> assertThat(context).hasNotFailed().doesNotHaveBean(InterlockLockRegistry.class));
    }

    @Test
    void userLockRegistryShouldWin() {
        contextRunner
                .withBean(DefaultLockRegistry.class)
                .run(context -> assertThat(context)
                        .doesNotHaveBean(InterlockLockRegistry.class)
                        .hasSingleBean(LockRegistry.class));
    }

    @Test
    void starterDisabledShouldConfigureNoRegistry() {
        contextRunner
                .withPropertyValues("interlock.enabled=false")
                .run(context -> assertThat(context).doesNotHaveBean(InterlockLockRegistry.class));
    }

    @Test
    void twoManagersShouldConfigureNoRegistryAndStart() {
        contextRunner
                .withBean("first", Manager.class, () -> InMemoryManager.create(2))
                .withBean("second", Manager.class, () -> InMemoryManager.create(2))
                .run(context -> assertThat(context).hasNotFailed().doesNotHaveBean(InterlockLockRegistry.class));
    }
}
