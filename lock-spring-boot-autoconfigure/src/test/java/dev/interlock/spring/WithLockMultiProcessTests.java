package dev.interlock.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.interlock.Manager;
import dev.interlock.shm.SHMLockManager;
import dev.interlock.spring.autoconfigure.InterlockAutoConfiguration;
import dev.interlock.spring.autoconfigure.InterlockMetricsAutoConfiguration;
import dev.interlock.spring.metrics.InterlockMetrics;
import dev.interlock.testing.ChildJvm;
import dev.interlock.testing.SegmentNames;
import dev.interlock.testing.SharedCounter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/**
 * Tests for {@link WithLock @WithLock} across processes: real child JVMs running {@link
 * CounterApplication} with the starter on one backend. Two applications incrementing a counter
 * file under the lock lose no update, and a holder killed with {@code SIGKILL} is recovered and
 * counted in {@value InterlockMetrics#LOCK_RECOVERIES}.
 *
 * @author Interlock team
 */
@EnabledOnOs(OS.LINUX)
class WithLockMultiProcessTests {

    private static final Duration STARTUP = Duration.ofSeconds(60);

    private static final int THREADS = 2;

    private static final int ITERATIONS = 250;

    private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
            .withConfiguration(
                    AutoConfigurations.of(InterlockAutoConfiguration.class, InterlockMetricsAutoConfiguration.class))
            .withBean(SimpleMeterRegistry.class);

    private final String segment = SegmentNames.unique("spring");

    @TempDir
    private Path temp;

    @AfterEach
    void removeSegment() {
        SHMLockManager.unlink(segment);
    }

    @Test
    void twoApplicationsOnSharedMemoryShouldLoseNoUpdate() {
        assertNoLostUpdate("--interlock.backend=shm", "--interlock.shm.path=" + segment);
    }

    @Test
    void twoApplicationsOnLockFilesShouldLoseNoUpdate() {
        assertNoLostUpdate("--interlock.backend=file", "--interlock.file.directory=" + temp.resolve("locks"));
    }

    @Test
    void holderKilledWhileHoldingShouldBeRecoveredAndCounted() {
        try (ChildJvm holder = ChildJvm.start(
                CounterApplication.class, "hold", "--interlock.backend=shm", "--interlock.shm.path=" + segment)) {
            holder.awaitLine("HOLDING", STARTUP);
            contextRunner
                    .withPropertyValues("interlock.backend=shm", "interlock.shm.path=" + segment)
                    .run(context -> {
                        Manager manager = context.getBean(Manager.class);
                        assertThat(manager.tryLockName("held", Duration.ZERO)).isEmpty();
                        holder.kill();
                        manager.tryLockName("held", Duration.ofSeconds(10))
                                .orElseThrow()
                                .close();
                        SimpleMeterRegistry registry = context.getBean(SimpleMeterRegistry.class);
                        context.getBean(InterlockMetrics.class).bindTo(registry);
                        assertThat(registry.get(InterlockMetrics.LOCK_RECOVERIES)
                                        .tag("backend", "shm")
                                        .functionCounter()
                                        .count())
                                .isEqualTo(1);
                    });
        }
    }

    private void assertNoLostUpdate(String... properties) {
        Path counter = temp.resolve("counter");
        try (ChildJvm first = startCounter(counter, properties);
                ChildJvm second = startCounter(counter, properties)) {
            first.awaitLine("READY", STARTUP);
            second.awaitLine("READY", STARTUP);
            first.send("GO");
            second.send("GO");
            first.awaitSuccess(STARTUP);
            second.awaitSuccess(STARTUP);
        }
        assertThat(new SharedCounter(counter).get()).isEqualTo(2L * THREADS * ITERATIONS);
    }

    private static ChildJvm startCounter(Path counter, String... properties) {
        String[] args = new String[4 + properties.length];
        args[0] = "count";
        args[1] = counter.toString();
        args[2] = Integer.toString(THREADS);
        args[3] = Integer.toString(ITERATIONS);
        System.arraycopy(properties, 0, args, 4, properties.length);
        return ChildJvm.start(CounterApplication.class, args);
    }
}
