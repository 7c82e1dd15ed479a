package dev.interlock.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

import dev.interlock.LockHandle;
import dev.interlock.LockTimeoutException;
import dev.interlock.Manager;
import dev.interlock.spring.WithLock.OnTimeout;
import dev.interlock.spring.autoconfigure.InterlockAutoConfiguration;
import dev.interlock.spring.autoconfigure.InterlockMetricsAutoConfiguration;
import dev.interlock.spring.autoconfigure.LockTemplateAutoConfiguration;
import dev.interlock.spring.autoconfigure.WithLockAutoConfiguration;
import dev.interlock.spring.metrics.InterlockMetrics;
import io.micrometer.common.KeyValue;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationHandler;
import io.micrometer.observation.ObservationView;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration;
import org.springframework.boot.micrometer.observation.autoconfigure.ObservationAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Tests for {@link LockCallObservation}: with Boot's own observation and metrics
 * auto-configurations, every {@code @WithLock} and {@link LockTemplate} call is an observation with
 * the lock (the expression as written, or the request's tag), class, method and outcome as
 * low-cardinality keys, its metrics come from Boot's meter observation handler, and the existing
 * {@code interlock.lock.*} meters count each call once.
 *
 * @author Interlock team
 */
class LockCallObservationTests {

    private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(
                    AopAutoConfiguration.class,
                    ObservationAutoConfiguration.class,
                    MetricsAutoConfiguration.class,
                    SimpleMetricsExportAutoConfiguration.class,
                    InterlockAutoConfiguration.class,
                    WithLockAutoConfiguration.class,
                    LockTemplateAutoConfiguration.class,
                    InterlockMetricsAutoConfiguration.class))
            .withPropertyValues("interlock.backend=memory", "interlock.memory.num-locks=4")
            .withUserConfiguration(Services.class);

    @Test
    void callShouldBeAnObservationWithLowCardinalityKeysAndMetricsFromTheHandler() {
        contextRunner.run(context -> {
            context.getBean(Reports.class).build("tenant-42");
            Recorder recorder = context.getBean(Recorder.class);
            assertThat(recorder.stopped).singleElement().satisfies(observed -> {
                assertThat(observed.getName()).isEqualTo(LockCallObservation.NAME);
                assertThat(observed.getContextualName()).isEqualTo("with-lock Reports.build");
                assertThat(keys(observed))
                        .containsExactlyInAnyOrderEntriesOf(Map.of(
                                "lock", "'report-' + #tenant",
                                "class", Reports.class.getName(),
                                "method", "build",
                                "outcome", "success"));
            });
            MeterRegistry meters = context.getBean(MeterRegistry.class);
            assertThat(meters.get(LockCallObservation.NAME)
                            .tag("lock", "'report-' + #tenant")
                            .tag("outcome", "success")
                            .timer()
                            .count())
                    .isEqualTo(1);
            assertThat(meters.get(InterlockMetrics.LOCK_WAIT).timer().count())
                    .as("the listener's meters count the call once")
                    .isEqualTo(1);
            assertThat(meters.get(InterlockMetrics.LOCK_HELD).timer().count()).isEqualTo(1);
            assertThat(meters.getMeters())
                    .flatMap(meter -> meter.getId().getTags())
                    .noneMatch(tag -> tag.getValue().contains("tenant-42"));
        });
    }

    @Test
    void outcomesShouldBeSkippedTimeoutErrorAndSuccessForAnAsyncResult() {
        contextRunner.run(context -> {
            Reports reports = context.getBean(Reports.class);
            Recorder recorder = context.getBean(Recorder.class);
            Manager manager = context.getBean(Manager.class);
            HeldElsewhere nightlyHeld = HeldElsewhere.hold(manager, "nightly");
            assertThat(reports.nightly()).isNull();
            assertThatExceptionOfType(LockTimeoutException.class).isThrownBy(reports::nightlyOrFail);
            nightlyHeld.release();
            assertThatExceptionOfType(IllegalStateException.class).isThrownBy(reports::broken);
            CompletableFuture<String> gate = new CompletableFuture<>();
            CompletableFuture<String> async = reports.async(gate);
            assertThat(recorder.stopped)
                    .as("an async call is observed until its result completes")
                    .hasSize(3);
            gate.complete("done");
            assertThat(async).isCompletedWithValue("done");
            assertThat(recorder.stopped)
                    .extracting(observed ->
                            keys(observed).get("method") + "=" + keys(observed).get("outcome"))
                    .containsExactly("nightly=skipped", "nightlyOrFail=timeout", "broken=error", "async=success");
        });
    }

    @Test
    void templateCallShouldBeAnObservationKeyedByTheRequestsTagNeverTheName() {
        contextRunner.run(context -> {
            LockTemplate template = context.getBean(LockTemplate.class);
            assertThat(template.name("report-tenant-42").tag("report").call(() -> "built"))
                    .isEqualTo("built");
            Recorder recorder = context.getBean(Recorder.class);
            assertThat(recorder.stopped).singleElement().satisfies(observed -> {
                assertThat(observed.getName()).isEqualTo(LockCallObservation.NAME);
                assertThat(observed.getContextualName()).isEqualTo("with-lock LockTemplate.call");
                assertThat(keys(observed))
                        .containsExactlyInAnyOrderEntriesOf(Map.of(
                                "lock", "report",
                                "class", LockTemplate.class.getName(),
                                "method", "call",
                                "outcome", "success"));
            });
            MeterRegistry meters = context.getBean(MeterRegistry.class);
            assertThat(meters.get(LockCallObservation.NAME)
                            .tag("lock", "report")
                            .tag("method", "call")
                            .tag("outcome", "success")
                            .timer()
                            .count())
                    .isEqualTo(1);
            assertThat(meters.get(InterlockMetrics.LOCK_WAIT)
                            .tag("lock", "report")
                            .timer()
                            .count())
                    .as("the listener's meters count the call once")
                    .isEqualTo(1);
            assertThat(meters.getMeters())
                    .flatMap(meter -> meter.getId().getTags())
                    .noneMatch(tag -> tag.getValue().contains("tenant-42"));
        });
    }

    @Test
    void templateOutcomesShouldBeSkippedTimeoutErrorAndSuccessForAnAsyncResultOrAnId() {
        contextRunner.run(context -> {
            LockTemplate template = context.getBean(LockTemplate.class);
            Recorder recorder = context.getBean(Recorder.class);
            Manager manager = context.getBean(Manager.class);
            HeldElsewhere nightlyHeld = HeldElsewhere.hold(manager, "nightly");
            LockTemplate.Request nightly =
                    template.name("nightly").timeout(Duration.ZERO).tag("nightly");
            assertThat(nightly.onTimeout(OnTimeout.SKIP).run(() -> {})).isFalse();
            assertThatExceptionOfType(LockTimeoutException.class).isThrownBy(() -> nightly.call(() -> "ran"));
            nightlyHeld.release();
            assertThatExceptionOfType(IllegalStateException.class)
                    .isThrownBy(() -> template.name("broken").tag("broken").call(() -> {
                        throw new IllegalStateException("broken");
                    }));
            CompletableFuture<String> gate = new CompletableFuture<>();
            CompletableFuture<String> async =
                    template.name("async").tag("async").call(() -> gate.thenApply(value -> value));
            assertThat(recorder.stopped)
                    .as("an async call is observed until its result completes")
                    .hasSize(3);
            gate.complete("done");
            assertThat(async).isCompletedWithValue("done");
            int id = manager.allocateLock().id();
            assertThat(template.id(id).tag("by-id").callOptional(() -> "found")).contains("found");
            assertThat(recorder.stopped)
                    .extracting(observed ->
                            keys(observed).get("lock") + " " + keys(observed).get("method") + "="
                                    + keys(observed).get("outcome"))
                    .containsExactly(
                            "nightly run=skipped",
                            "nightly call=timeout",
                            "broken call=error",
                            "async call=success",
                            "by-id callOptional=success");
        });
    }

    @Test
    void templateCallInsideAWithLockMethodOnTheSameLockShouldBeAChildObservationThatSucceeds() {
        contextRunner.run(context -> {
            LockTemplate template = context.getBean(LockTemplate.class);
            assertThat(context.getBean(Reports.class).nested(template)).isEqualTo("inner");
            Recorder recorder = context.getBean(Recorder.class);
            assertThat(recorder.stopped)
                    .extracting(observed ->
                            keys(observed).get("method") + "=" + keys(observed).get("outcome"))
                    .as("the reentrant template call ends first and runs without locking again")
                    .containsExactly("call=success", "nested=success");
            ObservationView parent = recorder.stopped.get(0).getParentObservation();
            assertThat(parent).isNotNull();
            assertThat(parent.getContextView()).isSameAs(recorder.stopped.get(1));
            assertThat(context.getBean(MeterRegistry.class)
                            .get(InterlockMetrics.LOCK_WAIT)
                            .timer()
                            .count())
                    .as("one acquisition: the template's call was reentrant")
                    .isEqualTo(1);
        });
    }

    @Test
    void templateBuiltOutsideSpringShouldNotBeObserved() {
        contextRunner.run(context -> {
            LockTemplate template = new LockTemplate(context.getBean(Manager.class));
            assertThat(template.name("plain").call(() -> "ran")).isEqualTo("ran");
            assertThat(context.getBean(Recorder.class).stopped).isEmpty();
        });
    }

    @Test
    void withoutAnObservationRegistryShouldRunWithoutObservations() {
        new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(
                        AopAutoConfiguration.class,
                        InterlockAutoConfiguration.class,
                        WithLockAutoConfiguration.class,
                        LockTemplateAutoConfiguration.class))
                .withPropertyValues("interlock.backend=memory")
                .withUserConfiguration(Services.class)
                .run(context -> {
                    assertThat(context).doesNotHaveBean(io.micrometer.observation.ObservationRegistry.class);
                    assertThat(context.getBean(Reports.class).build("t")).isEqualTo("report t");
                    assertThat(context.getBean(LockTemplate.class)
                                    .name("plain")
                                    .tag("plain")
                                    .call(() -> "ran"))
                            .isEqualTo("ran");
                    assertThat(context.getBean(Recorder.class).stopped).isEmpty();
                });
    }

    /** A name lock held by another thread until released. */
    private record HeldElsewhere(Thread holder, CountDownLatch gate) {

        static HeldElsewhere hold(Manager manager, String name) throws InterruptedException {
            CountDownLatch holding = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            Thread holder = new Thread(() -> {
                try (LockHandle held = manager.lockName(name)) {
                    holding.countDown();
                    release.await();
                } catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                }
            });
            holder.start();
            assertThat(holding.await(20, TimeUnit.SECONDS)).isTrue();
            return new HeldElsewhere(holder, release);
        }

        void release() throws InterruptedException {
            gate.countDown();
            holder.join();
        }
    }

    private static Map<String, String> keys(Observation.Context observed) {
        return observed.getLowCardinalityKeyValues().stream()
                .collect(Collectors.toMap(KeyValue::getKey, KeyValue::getValue));
    }

    @Configuration(proxyBeanMethods = false)
    static class Services {

        @Bean
        Reports reports() {
            return new Reports();
        }

        @Bean
        Recorder recorder() {
            return new Recorder();
        }
    }

    /** Records every stopped observation, as a tracer would end a span. */
    static class Recorder implements ObservationHandler<Observation.Context> {

        final List<Observation.Context> stopped = new CopyOnWriteArrayList<>();

        @Override
        public void onStop(Observation.Context context) {
            if (context instanceof LockCallObservation) {
                stopped.add(context);
            }
        }

        @Override
        public boolean supportsContext(Observation.Context context) {
            return true;
        }
    }

    /** Locked methods with every outcome, and one that calls the template on its own lock. */
    static class Reports {

        @WithLock(name = "'report-' + #tenant")
        public String build(String tenant) {
            return "report " + tenant;
        }

        @WithLock(name = "nightly", timeout = "0", onTimeout = OnTimeout.SKIP)
        public String nightly() {
            return "ran";
        }

        @WithLock(name = "nightly", timeout = "0")
        public String nightlyOrFail() {
            return "ran";
        }

        @WithLock(name = "broken")
        public String broken() {
            throw new IllegalStateException("broken");
        }

        @WithLock(name = "async")
        public CompletableFuture<String> async(CompletableFuture<String> gate) {
            return gate.thenApply(value -> value);
        }

        @WithLock(name = "shared")
        public @Nullable String nested(LockTemplate template) {
            return template.name("shared").tag("shared").call(() -> "inner");
        }
    }
}
