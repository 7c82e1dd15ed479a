package dev.interlock.spring.aop;

import static org.assertj.core.api.Assertions.assertThat;

import dev.interlock.LockHandle;
import dev.interlock.Manager;
import dev.interlock.memory.InMemoryManager;
import dev.interlock.spring.LockTemplate;
import dev.interlock.spring.LockWaitInterruptedException;
import dev.interlock.spring.WithLock;
import dev.interlock.spring.WithLock.OnTimeout;
import dev.interlock.spring.autoconfigure.InterlockAutoConfiguration;
import dev.interlock.spring.autoconfigure.InterlockHealthContributorAutoConfiguration;
import dev.interlock.spring.autoconfigure.InterlockMetricsAutoConfiguration;
import dev.interlock.spring.autoconfigure.LockTemplateAutoConfiguration;
import dev.interlock.spring.autoconfigure.LocksEndpointAutoConfiguration;
import dev.interlock.spring.autoconfigure.WithLockAutoConfiguration;
import dev.interlock.spring.metrics.InterlockMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Probe tests for issue 14's defects in {@code @WithLock} and for its additions: names from
 * arguments on a tiny storage, asynchronous results, interruptible waits, startup validation,
 * {@code onTimeout = SKIP}, placeholders and bean references, {@link LockTemplate} mixed with
 * {@code @WithLock}, {@code interlock.enabled=false} and two {@code Manager} beans.
 *
 * @author Interlock team
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class WithLockRoundTwoTests {

    private static final Duration BOUND = Duration.ofSeconds(20);

    private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(
                    AopAutoConfiguration.class,
                    InterlockAutoConfiguration.class,
                    WithLockAutoConfiguration.class,
                    LockTemplateAutoConfiguration.class,
                    InterlockMetricsAutoConfiguration.class))
            .withPropertyValues(
                    "interlock.backend=memory", "interlock.memory.num-locks=4", "app.prefix=tenant", "app.timeout=0")
            .withBean(SimpleMeterRegistry.class)
            .withUserConfiguration(Services.class);

    @Test
    void namesFromArgumentsShouldNotExhaustAFourLockStorage() {
        contextRunner.run(context -> {
            Manager manager = context.getBean(Manager.class);
            UserService users = context.getBean(UserService.class);
            for (int user = 0; user < 10_000; user++) {
                assertThat(users.touch("user" + user)).isEqualTo("'user-user" + user + "'");
            }
            assertThat(manager.allocatedLocks()).isZero();
            assertThat(manager.allocateLock().id()).isZero();
        });
    }

    @Test
    void asyncResultShouldKeepTheLockUntilItCompletes() throws Exception {
        contextRunner.run(context -> {
            Manager manager = context.getBean(Manager.class);
            AsyncService service = context.getBean(AsyncService.class);
            CompletableFuture<String> gate = new CompletableFuture<>();
            CompletableFuture<String> first = service.work(gate);
            ExecutorService other = Executors.newSingleThreadExecutor();
            try {
                assertThat(other.submit(() -> manager.tryLockName("async", Duration.ZERO))
                                .get(BOUND.toSeconds(), TimeUnit.SECONDS))
                        .as("held while the returned future is pending")
                        .isEmpty();
            } finally {
                other.shutdownNow();
            }
            gate.complete("done");
            assertThat(first.get(BOUND.toSeconds(), TimeUnit.SECONDS)).isEqualTo("done");
            manager.tryLockName("async", BOUND).orElseThrow().close();

            CompletableFuture<String> cancelled = service.work(new CompletableFuture<>());
            assertThat(manager.locksHeld())
                    .extracting(held -> held.name().orElseThrow())
                    .containsExactly("async");
            cancelled.cancel(true);
            manager.tryLockName("async", BOUND).orElseThrow().close();
        });
    }

    @Test
    void holdInProgressShouldShowInTheLongTaskTimerUntilTheResultCompletes() throws Exception {
        contextRunner.run(context -> {
            SimpleMeterRegistry registry = context.getBean(SimpleMeterRegistry.class);
            CompletableFuture<String> gate = new CompletableFuture<>();
            CompletableFuture<String> pending =
                    context.getBean(AsyncService.class).work(gate);
            assertThat(registry.get(InterlockMetrics.LOCK_HOLDING)
                            .tag("lock", "async")
                            .longTaskTimer()
                            .activeTasks())
                    .isEqualTo(1);
            gate.complete("done");
            pending.get(BOUND.toSeconds(), TimeUnit.SECONDS);
            assertThat(registry.get(InterlockMetrics.LOCK_HOLDING)
                            .tag("lock", "async")
                            .longTaskTimer()
                            .activeTasks())
                    .isZero();
        });
    }

    @Test
    void resultTypesWhoseCompletionCannotBeObservedShouldBeRefusedAtStartup() {
        contextRunner.withBean(PlainFutureService.class).run(context -> {
            assertThat(context).hasFailed();
            assertThat(context.getStartupFailure())
                    .hasMessageContaining(PlainFutureService.class.getName() + ".work()")
                    .hasMessageContaining("whose completion cannot be observed");
        });
    }

    @Test
    void unknownParameterInTheExpressionShouldFailTheStartNamingTheMethod() {
        contextRunner.withBean(TypoService.class).run(context -> {
            assertThat(context).hasFailed();
            assertThat(context.getStartupFailure())
                    .hasMessageContaining("1 of ")
                    .hasMessageContaining(TypoService.class.getName() + ".nightly()")
                    .hasMessageContaining("refers to #usr, which the method does not define");
        });
    }

    @Test
    void waitWithoutTimeoutShouldEndWithAClearExceptionWhenInterrupted() throws Exception {
        contextRunner.run(context -> {
            Manager manager = context.getBean(Manager.class);
            AsyncService service = context.getBean(AsyncService.class);
            CompletableFuture<Throwable> outcome = new CompletableFuture<>();
            ExecutorService executor = Executors.newSingleThreadExecutor();
            try (LockHandle held = manager.lockName("slow")) {
                executor.submit(() -> {
                    try {
                        service.slow();
                        outcome.complete(null);
                    } catch (Throwable ex) {
                        outcome.complete(ex);
                    }
                });
                executor.shutdownNow();
                assertThat(outcome.get(BOUND.toSeconds(), TimeUnit.SECONDS))
                        .isInstanceOf(LockWaitInterruptedException.class)
                        .hasMessageContaining(
                                "Interrupted while waiting for lock 'slow' of @WithLock(name = \"slow\")");
                assertThat(service.slowRuns()).isZero();
                assertThat(held.isValid()).isTrue();
            } finally {
                assertThat(executor.awaitTermination(BOUND.toSeconds(), TimeUnit.SECONDS))
                        .isTrue();
            }
        });
    }

    @Test
    void skipShouldReturnEmptyValuesAndCountTheSkippedCalls() {
        contextRunner.run(context -> {
            Manager manager = context.getBean(Manager.class);
            SkipService service = context.getBean(SkipService.class);
            try (LockHandle held = manager.lockName("tenant-nightly")) {
                Future<List<Object>> skipped = Executors.newSingleThreadExecutor()
                        .submit(() -> java.util.Arrays.asList(service.optional(), service.list(), service.run()));
                assertThat(skipped.get(BOUND.toSeconds(), TimeUnit.SECONDS))
                        .containsExactly(Optional.empty(), List.of(), null);
            }
            assertThat(service.runs()).isZero();
            assertThat(context.getBean(SimpleMeterRegistry.class)
                            .get(InterlockMetrics.LOCK_SKIPS)
                            .tag("lock", "${app.prefix}-nightly")
                            .counter()
                            .count())
                    .isEqualTo(3);
            assertThat(service.optional()).hasValue("ran");
        });
    }

    @Test
    void beanReferencesShouldBeResolvedInNameExpressions() {
        contextRunner.run(context ->
                assertThat(context.getBean(SkipService.class).tenantLock()).isEqualTo("acme-report"));
    }

    @Test
    void lockTemplateAndWithLockShouldShareReentrancy() {
        contextRunner.run(context -> {
            LockTemplate template = context.getBean(LockTemplate.class);
            UserService users = context.getBean(UserService.class);
            String inside =
                    template.name("user-alice").timeout(Duration.ofSeconds(1)).call(() -> users.touch("alice"));
            assertThat(inside).isEqualTo("'user-alice'");
            assertThat(context.getBean(Manager.class).allocatedLocks()).isZero();
        });
    }

    @Test
    void interlockEnabledFalseShouldSwitchTheStarterOff() {
        new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(
                        AopAutoConfiguration.class,
                        InterlockAutoConfiguration.class,
                        WithLockAutoConfiguration.class,
                        LockTemplateAutoConfiguration.class))
                .withPropertyValues("interlock.enabled=false", "interlock.backend=memory")
                .run(context -> assertThat(context)
                        .doesNotHaveBean(Manager.class)
                        .doesNotHaveBean(WithLockAdvisor.class)
                        .doesNotHaveBean(LockTemplate.class));
    }

    @Test
    void twoManagerBeansShouldStartWithoutTheSingleManagerFeatures() {
        new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(
                        InterlockAutoConfiguration.class,
                        WithLockAutoConfiguration.class,
                        LockTemplateAutoConfiguration.class,
                        InterlockMetricsAutoConfiguration.class,
                        LocksEndpointAutoConfiguration.class,
                        InterlockHealthContributorAutoConfiguration.class))
                .withBean("first", Manager.class, () -> InMemoryManager.create(4))
                .withBean("second", Manager.class, () -> InMemoryManager.create(4))
                .withBean(SimpleMeterRegistry.class)
                .run(context -> assertThat(context)
                        .hasNotFailed()
                        .doesNotHaveBean(WithLockAdvisor.class)
                        .doesNotHaveBean(LockTemplate.class)
                        .doesNotHaveBean(InterlockMetrics.class));
    }

    @Configuration(proxyBeanMethods = false)
    static class Services {

        @Bean
        UserService userService() {
            return new UserService();
        }

        @Bean
        AsyncService asyncService() {
            return new AsyncService();
        }

        @Bean
        SkipService skipService(Manager manager) {
            return new SkipService(manager);
        }

        @Bean
        Tenant tenant() {
            return new Tenant();
        }
    }

    static class Tenant {

        public String getId() {
            return "acme";
        }
    }

    static class UserService {

        @WithLock(name = "'user-' + #user")
        public String touch(String user) {
            return "'user-" + user + "'";
        }
    }

    static class AsyncService {

        private final AtomicInteger slowRuns = new AtomicInteger();

        /** A method, not a field: callers hold the CGLIB proxy, whose own fields are unset. */
        public int slowRuns() {
            return slowRuns.get();
        }

        @WithLock(name = "async")
        public CompletableFuture<String> work(CompletableFuture<String> gate) {
            return gate.thenApply(value -> value);
        }

        @WithLock(name = "slow")
        public void slow() {
            slowRuns.incrementAndGet();
        }
    }

    static class PlainFutureService {

        @WithLock(name = "plain")
        public Future<String> work() {
            return CompletableFuture.completedFuture("x");
        }
    }

    static class TypoService {

        @WithLock(name = "'nightly-' + #usr")
        public void nightly(String user) {}
    }

    static class SkipService {

        private final AtomicInteger runs = new AtomicInteger();

        private final Manager manager;

        public int runs() {
            return runs.get();
        }

        SkipService(Manager manager) {
            this.manager = manager;
        }

        @WithLock(name = "${app.prefix}-nightly", timeout = "${app.timeout}", onTimeout = OnTimeout.SKIP)
        public Optional<String> optional() {
            runs.incrementAndGet();
            return Optional.of("ran");
        }

        @WithLock(name = "${app.prefix}-nightly", timeout = "${app.timeout}", onTimeout = OnTimeout.SKIP)
        public List<String> list() {
            runs.incrementAndGet();
            return List.of("ran");
        }

        @WithLock(name = "${app.prefix}-nightly", timeout = "${app.timeout}", onTimeout = OnTimeout.SKIP)
        public String run() {
            runs.incrementAndGet();
            return "ran";
        }

        @WithLock(name = "@tenant.id + '-report'")
        public String tenantLock() {
            return manager.locksHeld().get(0).name().orElseThrow();
        }
    }
}
