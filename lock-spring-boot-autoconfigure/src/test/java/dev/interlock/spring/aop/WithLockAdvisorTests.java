package dev.interlock.spring.aop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

import dev.interlock.HeldLock;
import dev.interlock.LockHandle;
import dev.interlock.LockLostException;
import dev.interlock.LockTimeoutException;
import dev.interlock.Locker;
import dev.interlock.Manager;
import dev.interlock.spring.WithLock;
import dev.interlock.spring.autoconfigure.InterlockAutoConfiguration;
import dev.interlock.spring.autoconfigure.InterlockMetricsAutoConfiguration;
import dev.interlock.spring.autoconfigure.WithLockAutoConfiguration;
import dev.interlock.spring.metrics.InterlockMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledForJreRange;
import org.junit.jupiter.api.condition.JRE;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.scheduling.annotation.EnableScheduling;
import org.springframework.scheduling.annotation.Scheduled;

/**
 * Tests for {@link WithLockAdvisor}: {@code @WithLock} on real Spring proxies over the in-memory
 * backend. These show the advice (SpEL, timeout, reentrancy, release on exceptions, metrics);
 * exclusion between processes is shown by {@code WithLockMultiProcessTests}.
 *
 * @author Interlock team
 */
class WithLockAdvisorTests {

    private static final Duration BOUND = Duration.ofSeconds(20);

    private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(
                    AopAutoConfiguration.class,
                    InterlockAutoConfiguration.class,
                    WithLockAutoConfiguration.class,
                    InterlockMetricsAutoConfiguration.class))
            .withPropertyValues("interlock.backend=memory")
            .withBean(SimpleMeterRegistry.class)
            .withUserConfiguration(ServicesConfiguration.class);

    @Test
    void nameExpressionShouldLockTheNamedLockWhileTheMethodRuns() {
        contextRunner.run(context -> {
            List<HeldLock> held = context.getBean(InvoiceService.class).pay(new Invoice(42));
            assertThat(held)
                    .singleElement()
                    .satisfies(lock -> assertThat(lock.name()).hasValue("invoice-42"));
            assertThat(context.getBean(Manager.class).locksHeld()).isEmpty();
        });
    }

    @Test
    void idExpressionShouldLockThatId() {
        contextRunner.run(context -> {
            List<HeldLock> held = context.getBean(ContainerService.class).start(new Container(7));
            assertThat(held).extracting(HeldLock::id).containsExactly(7);
            assertThat(context.getBean(Manager.class).locksHeld()).isEmpty();
        });
    }

    @Test
    void literalNameAndTypeLevelAnnotationShouldLock() {
        contextRunner.run(context -> {
            assertThat(context.getBean(ReportService.class).report())
                    .singleElement()
                    .satisfies(lock -> assertThat(lock.name()).hasValue("report"));
            assertThat(context.getBean(TypeLevelService.class).held())
                    .singleElement()
                    .satisfies(lock -> assertThat(lock.name()).hasValue("type-level"));
        });
    }

    @Test
    void timeoutShouldThrowLockTimeoutExceptionAndNotRunTheMethod() {
        contextRunner.run(context -> {
            ReportService service = context.getBean(ReportService.class);
            LockHandle report = context.getBean(Manager.class).lockName("report");
            Throwable failure;
            try {
                failure = failureOnAnotherThread(service::report);
            } finally {
                report.close();
            }
            assertThat(failure).isInstanceOf(LockTimeoutException.class);
            LockTimeoutException timeout = (LockTimeoutException) failure;
            assertThat(timeout.timeout()).isEqualTo(Duration.ofMillis(200));
            assertThat(timeout.lock())
                    .isEqualTo("lock 'report' of @WithLock(name = \"report\") on " + ReportService.class.getName()
                            + ".report()");
            assertThat(timeout.getMessage()).startsWith("Timed out after 200 ms waiting for lock 'report'");
            assertThat(service.runs()).isZero();
            SimpleMeterRegistry registry = context.getBean(SimpleMeterRegistry.class);
            assertThat(registry.get(InterlockMetrics.LOCK_TIMEOUTS)
                            .tag("lock", "report")
                            .counter()
                            .count())
                    .isEqualTo(1);
            assertThat(registry.get(InterlockMetrics.LOCK_WAIT)
                            .tags("lock", "report", "outcome", "timeout")
                            .timer()
                            .totalTime(TimeUnit.MILLISECONDS))
                    .isGreaterThanOrEqualTo(199);
        });
    }

    @Test
    void sameLockNestedOnOneThreadShouldRunWithoutLockingAgain() {
        contextRunner.run(context -> {
            List<HeldLock> held = context.getBean(BillingService.class).payTwice(new Invoice(1));
            assertThat(held)
                    .singleElement()
                    .satisfies(lock -> assertThat(lock.name()).hasValue("invoice-1"));
            assertThat(context.getBean(InvoiceService.class).runs()).isEqualTo(2);
            assertThat(context.getBean(Manager.class).locksHeld()).isEmpty();
        });
    }

    @Test
    void differentLocksShouldNest() {
        contextRunner.run(context -> {
            List<HeldLock> held = context.getBean(BillingService.class).payInBatch(new Invoice(2));
            assertThat(held)
                    .extracting(lock -> lock.name().orElseThrow())
                    .containsExactlyInAnyOrder("batch", "invoice-2");
            assertThat(context.getBean(Manager.class).locksHeld()).isEmpty();
        });
    }

    @Test
    void exceptionFromTheMethodShouldReleaseTheLockAndPropagate() {
        contextRunner.run(context -> {
            ContainerService service = context.getBean(ContainerService.class);
            assertThatIllegalStateException()
                    .isThrownBy(() -> service.fail(new Container(3)))
                    .withMessage("boom");
            Locker three = context.getBean(Manager.class).retrieveLock(3);
            assertThat(three.tryLock()).isTrue();
            three.unlock();
            assertThat(context.getBean(SimpleMeterRegistry.class)
                            .get(InterlockMetrics.LOCK_HELD)
                            .tags("lock", "#container.lockId", "outcome", "error")
                            .timer()
                            .count())
                    .isEqualTo(1);
        });
    }

    @Test
    void callsShouldRecordWaitAndHeldTimersTaggedByExpression() {
        contextRunner.run(context -> {
            context.getBean(InvoiceService.class).pay(new Invoice(5));
            context.getBean(InvoiceService.class).pay(new Invoice(6));
            SimpleMeterRegistry registry = context.getBean(SimpleMeterRegistry.class);
            assertThat(registry.get(InterlockMetrics.LOCK_WAIT)
                            .tags("lock", "'invoice-' + #invoice.id", "outcome", "acquired")
                            .timer()
                            .count())
                    .isEqualTo(2);
            assertThat(registry.get(InterlockMetrics.LOCK_HELD)
                            .tags("lock", "'invoice-' + #invoice.id", "outcome", "success")
                            .timer()
                            .count())
                    .isEqualTo(2);
        });
    }

    @Test
    void annotationWithoutNameOrIdShouldFailTheStartWithAReportNamingTheMethod() {
        contextRunner.withUserConfiguration(BrokenConfiguration.class).run(context -> {
            assertThat(context).hasFailed();
            assertThat(context.getStartupFailure())
                    .isInstanceOf(WithLockMethodValidator.InvalidWithLockException.class)
                    .hasMessageContaining("@WithLock on " + BrokenService.class.getName()
                            + ".broken() sets neither name nor id;"
                            + " set exactly one: name = \"'invoice-' + #invoice.id\" for a named lock, or"
                            + " id = \"#container.lockId\" for a lock ID");
        });
    }

    @Test
    void idExpressionThatGivesNoIntShouldFailWithMessage() {
        contextRunner.run(context -> assertThatIllegalStateException()
                .isThrownBy(() -> context.getBean(ContainerService.class).startByName("web"))
                .withMessage("@WithLock(id = \"#name\") on " + ContainerService.class.getName()
                        + ".startByName() evaluated to web (java.lang.String), which is not an int lock ID"));
    }

    @Test
    void withoutSpringAopAutoConfigurationWithLockShouldStillApply() {
        contextRunner
                .withPropertyValues("spring.aop.auto=false")
                .run(context -> assertThat(context.getBean(InvoiceService.class).pay(new Invoice(8)))
                        .singleElement()
                        .satisfies(lock -> assertThat(lock.name()).hasValue("invoice-8")));
    }

    @Test
    void managerClosedWhileTheMethodRunsShouldEndTheCallWithLockLostException() {
        // Closing released the lock while the method still ran: another process may have entered.
        contextRunner.run(context -> assertThatExceptionOfType(LockLostException.class)
                .isThrownBy(() -> context.getBean(ReportService.class).closeManagerWhileHolding())
                .withMessageContaining("the hold was no longer valid when the protected code returned"));
    }

    @Test
    void platformThreadsShouldBeExcluded() {
        contextRunner.run(context -> {
            CounterService counter = context.getBean(CounterService.class);
            ExecutorService threads = Executors.newFixedThreadPool(4);
            try {
                assertNoLostUpdate(counter, threads);
            } finally {
                threads.shutdownNow();
            }
        });
    }

    @Test
    @EnabledForJreRange(min = JRE.JAVA_21)
    void virtualThreadsShouldBeExcluded() {
        contextRunner.run(context -> {
            CounterService counter = context.getBean(CounterService.class);
            // Through reflection: the module compiles for Java 17, where virtual threads do not exist.
            ExecutorService threads = (ExecutorService)
                    Executors.class.getMethod("newVirtualThreadPerTaskExecutor").invoke(null);
            try {
                assertNoLostUpdate(counter, threads);
            } finally {
                threads.shutdownNow();
            }
        });
    }

    @Test
    void scheduledMethodShouldRunUnderTheLock() {
        contextRunner.withUserConfiguration(SchedulingConfiguration.class).run(context -> {
            List<HeldLock> held =
                    context.getBean(ScheduledJob.class).firstRun().get(BOUND.toSeconds(), TimeUnit.SECONDS);
            assertThat(held)
                    .singleElement()
                    .satisfies(lock -> assertThat(lock.name()).hasValue("nightly"));
        });
    }

    private static void assertNoLostUpdate(CounterService counter, ExecutorService threads) throws Exception {
        int tasks = 8;
        int increments = 200;
        List<Future<?>> futures = new ArrayList<>();
        for (int t = 0; t < tasks; t++) {
            futures.add(threads.submit(() -> {
                for (int i = 0; i < increments; i++) {
                    counter.increment();
                }
            }));
        }
        for (Future<?> future : futures) {
            future.get(BOUND.toSeconds(), TimeUnit.SECONDS);
        }
        assertThat(counter.value()).isEqualTo(tasks * increments);
    }

    private static Throwable failureOnAnotherThread(Runnable call) throws Exception {
        ExecutorService other = Executors.newSingleThreadExecutor();
        try {
            other.submit(call).get(BOUND.toSeconds(), TimeUnit.SECONDS);
            throw new AssertionError("the call succeeded");
        } catch (ExecutionException ex) {
            return ex.getCause();
        } finally {
            other.shutdownNow();
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class ServicesConfiguration {

        @Bean
        InvoiceService invoiceService(Manager manager) {
            return new InvoiceService(manager);
        }

        @Bean
        BillingService billingService(InvoiceService invoiceService) {
            return new BillingService(invoiceService);
        }

        @Bean
        ContainerService containerService(Manager manager) {
            return new ContainerService(manager);
        }

        @Bean
        ReportService reportService(Manager manager) {
            return new ReportService(manager);
        }

        @Bean
        TypeLevelService typeLevelService(Manager manager) {
            return new TypeLevelService(manager);
        }

        @Bean
        CounterService counterService() {
            return new CounterService();
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class BrokenConfiguration {

        @Bean
        BrokenService brokenService() {
            return new BrokenService();
        }
    }

    @Configuration(proxyBeanMethods = false)
    @EnableScheduling
    static class SchedulingConfiguration {

        @Bean
        ScheduledJob scheduledJob(Manager manager) {
            return new ScheduledJob(manager);
        }
    }

    /** An object with an ID, used in name expressions. */
    static class Invoice {

        private final int id;

        Invoice(int id) {
            this.id = id;
        }

        public int getId() {
            return id;
        }
    }

    /** An object that stores its lock ID, used in ID expressions. */
    static class Container {

        private final int lockId;

        Container(int lockId) {
            this.lockId = lockId;
        }

        public int getLockId() {
            return lockId;
        }
    }

    static class InvoiceService {

        private final AtomicInteger runs = new AtomicInteger();

        private final Manager manager;

        InvoiceService(Manager manager) {
            this.manager = manager;
        }

        /** A method, not a field: callers hold the CGLIB proxy, whose own fields are unset. */
        public int runs() {
            return runs.get();
        }

        @WithLock(name = "'invoice-' + #invoice.id")
        public List<HeldLock> pay(Invoice invoice) {
            runs.incrementAndGet();
            return manager.locksHeld();
        }
    }

    static class BillingService {

        private final InvoiceService invoices;

        BillingService(InvoiceService invoices) {
            this.invoices = invoices;
        }

        @WithLock(name = "'invoice-' + #invoice.id")
        public List<HeldLock> payTwice(Invoice invoice) {
            invoices.pay(invoice);
            return invoices.pay(invoice);
        }

        @WithLock(name = "batch")
        public List<HeldLock> payInBatch(Invoice invoice) {
            return invoices.pay(invoice);
        }
    }

    static class ContainerService {

        private final Manager manager;

        ContainerService(Manager manager) {
            this.manager = manager;
        }

        @WithLock(id = "#container.lockId")
        public List<HeldLock> start(Container container) {
            return manager.locksHeld();
        }

        @WithLock(id = "#name")
        public void startByName(String name) {}

        @WithLock(id = "#container.lockId")
        public void fail(Container container) {
            throw new IllegalStateException("boom");
        }
    }

    static class ReportService {

        private final AtomicInteger runs = new AtomicInteger();

        private final Manager manager;

        ReportService(Manager manager) {
            this.manager = manager;
        }

        public int runs() {
            return runs.get();
        }

        /** Closes the manager as a context shutdown does while a scheduled task still runs. */
        @WithLock(name = "closing")
        public String closeManagerWhileHolding() {
            manager.close();
            return "closed";
        }

        @WithLock(name = "report", timeout = "200ms")
        public List<HeldLock> report() {
            runs.incrementAndGet();
            return manager.locksHeld();
        }
    }

    @WithLock(name = "'type-level'")
    static class TypeLevelService {

        private final Manager manager;

        TypeLevelService(Manager manager) {
            this.manager = manager;
        }

        public List<HeldLock> held() {
            return manager.locksHeld();
        }
    }

    static class BrokenService {

        @WithLock
        public void broken() {}
    }

    /** Increments a plain field under a lock: only exclusion keeps every increment. */
    static class CounterService {

        private int value;

        public int value() {
            return value;
        }

        @WithLock(name = "counter")
        public void increment() {
            int read = value;
            Thread.yield();
            value = read + 1;
        }
    }

    static class ScheduledJob {

        private final CompletableFuture<List<HeldLock>> firstRun = new CompletableFuture<>();

        private final Manager manager;

        ScheduledJob(Manager manager) {
            this.manager = manager;
        }

        public CompletableFuture<List<HeldLock>> firstRun() {
            return firstRun;
        }

        @Scheduled(fixedDelay = 50)
        @WithLock(name = "nightly")
        public void tick() {
            firstRun.complete(manager.locksHeld());
        }
    }
}
