package dev.interlock.spring.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

import dev.interlock.LockLostException;
import dev.interlock.postgresql.PostgresLockManager;
import dev.interlock.spring.LockLostEvent;
import dev.interlock.spring.LockTemplate;
import dev.interlock.spring.WithLock;
import dev.interlock.spring.metrics.InterlockMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.ApplicationListener;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Tests that a hold lost inside a {@link WithLock @WithLock} method, for real, on the PostgreSQL
 * backend ({@code pg_terminate_backend} of the manager's holder session while the method waits on
 * a latch), is counted as {@value InterlockMetrics#LOCK_LOST}, published as a {@link
 * LockLostEvent}, and ends the call with a {@link LockLostException} after the method returned.
 *
 * @author Interlock team
 */
class WithLockLostLockTests {

    private static final long BOUND_SECONDS = 20;

    private final String space = PostgresTestServer.uniqueSpace("withlock-lost");

    private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(
                    AopAutoConfiguration.class,
                    InterlockAutoConfiguration.class,
                    WithLockAutoConfiguration.class,
                    InterlockMetricsAutoConfiguration.class))
            .withBean(SimpleMeterRegistry.class)
            .withUserConfiguration(GuardedConfiguration.class)
            .withPropertyValues(
                    "interlock.backend=postgresql",
                    "interlock.postgresql.url=" + PostgresTestServer.url(),
                    "interlock.postgresql.lock-space=" + space,
                    "interlock.postgresql.connect-timeout=60s",
                    "interlock.postgresql.session-timeout=2s");

    @AfterEach
    void dropLockSpace() {
        PostgresLockManager.drop(PostgresTestServer.url(), space);
    }

    @Test
    void holdLostWhileTheMethodRunsShouldBeCountedPublishedAndEndTheCallAfterTheMethodReturned() throws Exception {
        contextRunner.run(context -> {
            Guarded guarded = context.getBean(Guarded.class);
            Signals signals = context.getBean(Signals.class);
            LostEvents events = context.getBean(LostEvents.class);
            CompletableFuture<String> call = new CompletableFuture<>();
            Thread caller = new Thread(() -> {
                try {
                    call.complete(guarded.work());
                } catch (Throwable ex) {
                    call.completeExceptionally(ex);
                }
            });
            caller.start();
            assertThat(signals.entered.await(BOUND_SECONDS, TimeUnit.SECONDS))
                    .as("method entered; the call: %s", call)
                    .isTrue();

            assertThat(PostgresTestServer.terminateHolders(space)).isEqualTo(1);
            assertThat(events.received.await(BOUND_SECONDS, TimeUnit.SECONDS))
                    .as("LockLostEvent published")
                    .isTrue();
            assertThat(call).as("the call still runs until the method returns").isNotDone();
            signals.release.countDown();

            long token = signals.token.get();
            assertThat(token).isPositive();
            assertThatExceptionOfType(ExecutionException.class)
                    .isThrownBy(() -> call.get(BOUND_SECONDS, TimeUnit.SECONDS))
                    .havingCause()
                    .isInstanceOf(LockLostException.class)
                    .withMessageStartingWith("The hold of lock 'guarded' of @WithLock(name = \"guarded\") on "
                            + Guarded.class.getName() + ".work() was lost while the protected code ran (lock ID 0,"
                            + " fencing token " + token + "): the server session ended: ")
                    .withMessageContaining("the critical section was not exclusive")
                    .withMessageContaining("refuses writes with token " + token + " once a later holder wrote")
                    .satisfies(ex -> assertThat(((LockLostException) ex).lost().fencingToken())
                            .isEqualTo(token));
            assertThat(signals.returned).as("the method ran to its end").isTrue();

            assertThat(events.events).singleElement().satisfies(event -> {
                assertThat(event.getLockId()).isZero();
                assertThat(event.getLockName()).hasValue("guarded");
                assertThat(event.getFencingToken()).isEqualTo(token);
                assertThat(event.getReason()).contains("terminating connection due to administrator command");
            });
            assertThat(context.getBean(SimpleMeterRegistry.class)
                            .get(InterlockMetrics.LOCK_LOST)
                            .counter()
                            .count())
                    .isEqualTo(1.0);

            assertThat(guarded.workAgain())
                    .as("the next call locks on a new session")
                    .isEqualTo("done");
            assertThat(events.events).hasSize(1);
        });
    }

    @Configuration(proxyBeanMethods = false)
    static class GuardedConfiguration {

        @Bean
        Signals signals() {
            return new Signals();
        }

        @Bean
        Guarded guarded(Signals signals) {
            return new Guarded(signals);
        }

        @Bean
        LostEvents lostEvents() {
            return new LostEvents();
        }
    }

    /** What the guarded method and the test tell each other; not proxied, unlike the service. */
    static class Signals {

        final CountDownLatch entered = new CountDownLatch(1);

        final CountDownLatch release = new CountDownLatch(1);

        final AtomicLong token = new AtomicLong();

        volatile boolean returned;
    }

    /** A service whose method holds the lock until the test lets it return. */
    static class Guarded {

        private final Signals signals;

        Guarded(Signals signals) {
            this.signals = signals;
        }

        @WithLock(name = "guarded")
        public String work() throws InterruptedException {
            signals.token.set(LockTemplate.currentFencingToken());
            signals.entered.countDown();
            if (!signals.release.await(BOUND_SECONDS, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the test never let the method return");
            }
            signals.returned = true;
            return "done";
        }

        @WithLock(name = "guarded")
        public String workAgain() {
            return "done";
        }
    }

    /** Collects the lost-lock events. */
    static class LostEvents implements ApplicationListener<LockLostEvent> {

        final CopyOnWriteArrayList<LockLostEvent> events = new CopyOnWriteArrayList<>();

        final CountDownLatch received = new CountDownLatch(1);

        @Override
        public void onApplicationEvent(LockLostEvent event) {
            events.add(event);
            received.countDown();
        }
    }
}
