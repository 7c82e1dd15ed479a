package dev.interlock.spring.aop;

import static org.assertj.core.api.Assertions.assertThat;

import dev.interlock.spring.WithLock;
import dev.interlock.spring.WithLock.OnTimeout;
import dev.interlock.spring.autoconfigure.InterlockAutoConfiguration;
import dev.interlock.spring.autoconfigure.WithLockAutoConfiguration;
import java.nio.file.Path;
import java.time.LocalTime;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.scheduling.annotation.EnableScheduling;
import org.springframework.scheduling.annotation.Scheduled;

/**
 * Probe test for issue 14's defect 7, "with N instances the nightly job runs N times in a row":
 * three application instances (three contexts, each with its own manager over one lock
 * directory, so they exclude each other as processes do) run the README's {@code @Scheduled}
 * job, whose cron fires in all of them at the same second; with {@code timeout = "0", onTimeout =
 * SKIP} each firing runs once and the other instances skip it. The old example waited instead
 * ({@code @WithLock(name = "nightly")}), so every instance ran the job in turn.
 *
 * @author Interlock team
 */
@EnabledOnOs(OS.LINUX)
class ScheduledSkipProbeTests {

    private static final int INSTANCES = 3;

    /** Runs per firing (the second the cron fired), from every instance. */
    private static final Map<LocalTime, AtomicInteger> runs = new ConcurrentHashMap<>();

    private static final AtomicInteger calls = new AtomicInteger();

    @TempDir
    private Path temp;

    @Test
    void scheduledJobWithSkipShouldRunOncePerFiringAcrossInstances() {
        ApplicationContextRunner instance = new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(
                        AopAutoConfiguration.class, InterlockAutoConfiguration.class, WithLockAutoConfiguration.class))
                .withPropertyValues("interlock.backend=file", "interlock.file.directory=" + temp.resolve("locks"))
                .withUserConfiguration(NightlyConfiguration.class);
        instance.run(first -> instance.run(second -> instance.run(third -> {
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (firingsSeenByAll() < 2 && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
        })));
        assertThat(firingsSeenByAll())
                .as("firings that every instance took part in")
                .isGreaterThanOrEqualTo(2);
        assertThat(runs)
                .allSatisfy((firing, count) -> assertThat(count.get())
                        .as("runs of the firing at %s", firing)
                        .isEqualTo(1));
    }

    /** Firings in which all instances called the job (counted by a listener): one ran it, the others skipped. */
    private static long firingsSeenByAll() {
        return calls.get() / INSTANCES;
    }

    @Configuration(proxyBeanMethods = false)
    @EnableScheduling
    static class NightlyConfiguration {

        @Bean
        NightlyJob nightlyJob() {
            return new NightlyJob();
        }

        @Bean
        WithLockListener callCounter() {
            return new WithLockListener() {
                @Override
                public void acquisitionEnded(String lock, AcquisitionOutcome outcome, long waitNanos) {
                    calls.incrementAndGet();
                }

                @Override
                public void released(String lock, boolean methodFailed, long heldNanos) {}
            };
        }
    }

    /** The README's job, firing every two seconds instead of nightly, and holding the lock for 1.2 s. */
    static class NightlyJob {

        @WithLock(name = "nightly-report", timeout = "0", onTimeout = OnTimeout.SKIP)
        @Scheduled(cron = "*/2 * * * * *")
        public void report() {
            LocalTime firing = LocalTime.now().truncatedTo(ChronoUnit.SECONDS);
            runs.computeIfAbsent(firing, key -> new AtomicInteger()).incrementAndGet();
            try {
                Thread.sleep(1_200);
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
