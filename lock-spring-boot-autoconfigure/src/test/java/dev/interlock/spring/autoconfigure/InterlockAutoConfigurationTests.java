package dev.interlock.spring.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import dev.interlock.Locker;
import dev.interlock.Manager;
import dev.interlock.ManagerClosedException;
import dev.interlock.memory.InMemoryManager;
import dev.interlock.spring.actuate.InterlockHealthIndicator;
import dev.interlock.spring.actuate.LocksEndpoint;
import dev.interlock.spring.aop.WithLockAdvisor;
import dev.interlock.spring.metrics.InterlockMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.aspectj.weaver.Advice;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.Test;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Tests for {@link InterlockAutoConfiguration} and the optional auto-configurations around it,
 * with the in-memory backend.
 *
 * @author Interlock team
 */
class InterlockAutoConfigurationTests {

    private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(
                    InterlockAutoConfiguration.class,
                    WithLockAutoConfiguration.class,
                    InterlockMetricsAutoConfiguration.class,
                    LocksEndpointAutoConfiguration.class,
                    InterlockHealthContributorAutoConfiguration.class))
            .withPropertyValues("interlock.backend=memory");

    @Test
    void memoryBackendShouldCreateInMemoryManagerWithDefaultLockCount() {
        contextRunner.run(context -> {
            assertThat(context).hasSingleBean(Manager.class).hasSingleBean(InMemoryManager.class);
            assertThat(context.getBean(Manager.class).availableLocks()).hasValue(2048);
            assertThat(context).hasBean("interlockManager");
        });
    }

    @Test
    void memoryNumLocksShouldSetCapacity() {
        contextRunner
                .withPropertyValues("interlock.memory.num-locks=5")
                .run(context -> assertThat(context.getBean(Manager.class).availableLocks())
                        .hasValue(5));
    }

    @Test
    void managerShouldBeClosedWithTheContext() {
        Manager[] manager = new Manager[1];
        contextRunner.run(context -> manager[0] = context.getBean(Manager.class));
        Assertions.assertThatExceptionOfType(ManagerClosedException.class).isThrownBy(manager[0]::allocatedLocks);
    }

    @Test
    void userDefinedManagerShouldReplaceTheAutoConfiguredOne() {
        contextRunner.withUserConfiguration(UserManagerConfiguration.class).run(context -> {
            assertThat(context).hasSingleBean(Manager.class).hasBean("userManager");
            assertThat(context.getBean(Manager.class).availableLocks()).hasValue(3);
            assertThat(context).hasSingleBean(WithLockAdvisor.class);
        });
    }

    @Test
    void withoutActuatorMicrometerAndAspectjManagerAndAdvisorShouldStillWork() {
        contextRunner
                .withClassLoader(new FilteredClassLoader(
                        Endpoint.class, HealthIndicator.class, MeterRegistry.class, Advice.class))
                .withBean(SimpleMeterRegistry.class)
                .withPropertyValues("management.endpoints.web.exposure.include=locks")
                .run(context -> {
                    assertThat(context).hasNotFailed().hasSingleBean(Manager.class);
                    assertThat(context).hasSingleBean(WithLockAdvisor.class);
                    assertThat(context).doesNotHaveBean("locksEndpoint");
                    assertThat(context).doesNotHaveBean("interlockHealthIndicator");
                    assertThat(context).doesNotHaveBean("interlockMetrics");
                });
    }

    @Test
    void withMeterRegistryShouldBindMetrics() {
        contextRunner.withBean(SimpleMeterRegistry.class).run(context -> {
            assertThat(context).hasSingleBean(InterlockMetrics.class);
            SimpleMeterRegistry registry = context.getBean(SimpleMeterRegistry.class);
            context.getBean(InterlockMetrics.class).bindTo(registry);
            Locker locker = context.getBean(Manager.class).allocateLock();
            locker.lock();
            try {
                assertThat(registry.get(InterlockMetrics.LOCKS_ALLOCATED)
                                .tag("backend", "memory")
                                .gauge()
                                .value())
                        .isEqualTo(1);
                assertThat(registry.get(InterlockMetrics.LOCKS_FREE).gauge().value())
                        .isEqualTo(2047);
                assertThat(registry.get(InterlockMetrics.LOCKS_HELD).gauge().value())
                        .isEqualTo(1);
            } finally {
                locker.unlock();
            }
        });
    }

    @Test
    void endpointShouldExistOnlyWhenExposed() {
        contextRunner.run(context -> assertThat(context).doesNotHaveBean(LocksEndpoint.class));
        contextRunner
                .withPropertyValues("management.endpoints.web.exposure.include=locks")
                .run(context -> assertThat(context).hasSingleBean(LocksEndpoint.class));
    }

    @Test
    void healthIndicatorShouldBeNamedInterlockAndBackOffWhenDisabled() {
        contextRunner.run(context -> assertThat(context)
                .hasSingleBean(InterlockHealthIndicator.class)
                .hasBean("interlockHealthIndicator"));
        contextRunner
                .withPropertyValues("management.health.interlock.enabled=false")
                .run(context -> assertThat(context).doesNotHaveBean(InterlockHealthIndicator.class));
    }

    @Test
    void aspectDisabledShouldNotCreateAdvisor() {
        contextRunner
                .withPropertyValues("interlock.aspect.enabled=false")
                .run(context -> assertThat(context).doesNotHaveBean(WithLockAdvisor.class));
    }

    @Test
    void aspectOrderShouldComeFromProperty() {
        contextRunner.run(context ->
                assertThat(context.getBean(WithLockAdvisor.class).getOrder()).isEqualTo(WithLockAdvisor.DEFAULT_ORDER));
        contextRunner
                .withPropertyValues("interlock.aspect.order=42")
                .run(context -> assertThat(
                                context.getBean(WithLockAdvisor.class).getOrder())
                        .isEqualTo(42));
    }

    @Test
    void unknownBackendShouldFailWithAnalysis() {
        contextRunner.withPropertyValues("interlock.backend=redis").run(context -> {
            assertThat(context).hasFailed();
            FailureAnalysis analysis = new UnknownBackendFailureAnalyzer().analyze(context.getStartupFailure());
            assertThat(analysis).isNotNull();
            assertThat(analysis.getDescription())
                    .isEqualTo("Invalid value 'redis' for property 'interlock.backend' (from \"interlock.backend\""
                            + " from property source \"test\"): Interlock has no such backend; it has shm, file,"
                            + " memory, postgresql.");
            assertThat(analysis.getAction())
                    .isEqualTo("Set interlock.backend to shm (a shared-memory segment, Linux), file (lock files in a"
                            + " directory), postgresql (a PostgreSQL database, across hosts; needs"
                            + " dev.interlock:lock-postgresql) or memory (this JVM only, for tests), or remove it to"
                            + " use the platform's default (shm).");
        });
    }

    @Test
    void zeroLockCountShouldFailWithAnalysis() {
        contextRunner.withPropertyValues("interlock.memory.num-locks=0").run(context -> {
            FailureAnalysis analysis =
                    new InvalidInterlockPropertyFailureAnalyzer().analyze(context.getStartupFailure());
            assertThat(analysis).isNotNull();
            assertThat(analysis.getDescription())
                    .isEqualTo("Invalid value '0' for property 'interlock.memory.num-locks' (from"
                            + " \"interlock.memory.num-locks\" from property source \"test\"): a lock manager needs"
                            + " at least 1 lock.");
            assertThat(analysis.getAction())
                    .isEqualTo("Set interlock.memory.num-locks to a positive lock count, or remove it to use the"
                            + " default (2048).");
        });
    }

    @Test
    void negativeShmLockCountShouldFailWithAnalysis() {
        contextRunner.withPropertyValues("interlock.shm.num-locks=-3").run(context -> {
            FailureAnalysis analysis =
                    new InvalidInterlockPropertyFailureAnalyzer().analyze(context.getStartupFailure());
            assertThat(analysis).isNotNull();
            assertThat(analysis.getDescription())
                    .startsWith("Invalid value '-3' for property 'interlock.shm.num-locks'")
                    .endsWith("a lock manager needs at least 1 lock.");
        });
    }

    @Test
    void malformedModeShouldFailWithAnalysisNamingTheProperty() {
        contextRunner.withPropertyValues("interlock.file.mode=rw-rw-rwz").run(context -> {
            FailureAnalysis analysis =
                    new InvalidInterlockPropertyFailureAnalyzer().analyze(context.getStartupFailure());
            assertThat(analysis).isNotNull();
            assertThat(analysis.getDescription())
                    .isEqualTo("Invalid value 'rw-rw-rwz' for property 'interlock.file.mode' (from"
                            + " \"interlock.file.mode\" from property source \"test\"): it is neither an octal mode"
                            + " such as 600 or 0660 nor a permission string such as rw-rw----.");
            assertThat(analysis.getAction())
                    .isEqualTo("Set interlock.file.mode to one of those forms, or remove it to keep the default"
                            + " (600: owner read and write only).");
        });
    }

    @Configuration(proxyBeanMethods = false)
    static class UserManagerConfiguration {

        @Bean(destroyMethod = "close")
        Manager userManager() {
            return InMemoryManager.create(3);
        }
    }
}
