package dev.interlock.spring.aop;

import static org.assertj.core.api.Assertions.assertThat;

import dev.interlock.spring.WithLock;
import dev.interlock.spring.WithLock.OnTimeout;
import dev.interlock.spring.autoconfigure.InterlockAutoConfiguration;
import dev.interlock.spring.autoconfigure.WithLockAutoConfiguration;
import java.nio.file.Path;
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
 * SKIP} each firing runs once and the other instances skip it. Checked against the old example:
 * with a waiting {@code @WithLock(name = "nightly-report")} instead, the instances run the job in
 * turn and the counts do not match.
 *
 * @author Interlock team
 */
@EnabledOnOs(OS.LINUX)
class ScheduledSkipProbeTests {

    private static final int INSTANCES = 3;

    /** Calls of the job in every instance, counted by a listener as each acquisition attempt ends. */
    private static final AtomicInteger calls = new AtomicInteger();

    /** Runs of the job's body in every instance. */
    private static final AtomicInteger runs = new AtomicInteger();

    @TempDir
    private Path temp;

    @Test
    void scheduledJobWithSkipShouldRunOncePerFiringAcrossInstances() {
        ApplicationContextRunner instance = new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(
                        AopAutoConfiguration.class, InterlockAutoConfiguration.class, WithLockAutoConfiguration.class))
                .withPropertyValues("interlock.backend=file", "interlock.file.directory=" + temp.resolve("locks"))
                .withUserConfiguration(NightlyConfiguration.class);
        int[] counted = new int[2];
        instance.run(first -> instance.run(second -> instance.run(third -> {
            // Count exactly two firings (the cron fires at even seconds), between two quiet points.
            awaitQuietPoint();
            int callsBefore = calls.get();
            int runsBefore = runs.get();
            Thread.sleep(4_000);
            counted[0] = calls.get() - callsBefore;
            counted[1] = runs.get() - runsBefore;
        })));
        assertThat(counted[0]).as("calls of two firings in three instances").isEqualTo(2 * INSTANCES);
        assertThat(counted[1])
                .as("runs of two firings: one each, the other instances skipped")
                .isEqualTo(2);
    }

    /**
     * Sleeps until 1.5 s after an even second: every instance has called the job of the last
     * firing, the runner has finished (it holds the lock 1.2 s), and the next firing is 0.5 s away.
     */
    private static void awaitQuietPoint() throws InterruptedException {
        long phase = System.currentTimeMillis() % 2_000;
        Thread.sleep(phase < 1_500 ? 1_500 - phase : 3_500 - phase);
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
            runs.incrementAndGet();
            try {
                Thread.sleep(1_200);
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
