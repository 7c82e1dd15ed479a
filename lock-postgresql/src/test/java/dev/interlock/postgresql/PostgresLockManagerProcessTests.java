package dev.interlock.postgresql;

import static org.assertj.core.api.Assertions.assertThat;

import dev.interlock.Locker;
import dev.interlock.testing.ChildJvm;
import dev.interlock.testing.CounterWorker;
import dev.interlock.testing.SharedCounter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tests for {@link PostgresLockManager} across real processes on the machine's server: exclusion
 * between child JVMs, and takeover from a holder killed with {@code SIGKILL}.
 *
 * @author Interlock team
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PostgresLockManagerProcessTests {

    private static final Duration WAIT = Duration.ofSeconds(60);

    /** Kill-to-acquisition trials; {@code -Dinterlock.pg.killTrials=20} for the documented figure. */
    private static final int KILL_TRIALS = Integer.getInteger("interlock.pg.killTrials", 3);

    private String url;

    private String space;

    @BeforeEach
    void setUp() {
        url = TestServers.local();
        space = TestServers.uniqueSpace("process");
        PostgresLockManager.create(url, space, 8, TestServers.options()).close();
    }

    @AfterEach
    void tearDown() {
        PostgresLockManager.drop(url, space, TestServers.options());
    }

    @Test
    void fourProcessesTimesTwoThreadsIncrementingUnderOneLockShouldLoseNoUpdate(@TempDir Path counters)
            throws Exception {
        int processes = 4;
        int threads = 2;
        int iterations = 150;
        List<ChildJvm> children = new ArrayList<>();
        try {
            for (int p = 0; p < processes; p++) {
                children.add(ChildJvm.start(
                        CounterWorker.class,
                        PostgresOpener.class.getName(),
                        PostgresOpener.location(url, space, 8),
                        Integer.toString(threads),
                        Integer.toString(iterations),
                        "1",
                        counters.toString()));
            }
            for (ChildJvm child : children) {
                assertThat(child.awaitSuccess(WAIT)).contains("DONE " + threads * iterations);
            }
        } finally {
            children.forEach(ChildJvm::close);
        }
        assertThat(new SharedCounter(counters.resolve("counter-0")).get())
                .isEqualTo((long) processes * threads * iterations);
    }

    @Test
    void killedHolderShouldBeTakenOverWithinOneSecondWithAGreaterToken() throws Exception {
        List<Long> millis = new ArrayList<>();
        try (PostgresLockManager waiterManager = PostgresLockManager.open(url, space, 8, TestServers.options())) {
            Locker waiter = waiterManager.retrieveLock(5);
            for (int trial = 0; trial < KILL_TRIALS; trial++) {
                try (ChildJvm holder = ChildJvm.start(HolderChild.class, PostgresOpener.location(url, space, 8), "5")) {
                    long deadToken =
                            Long.parseLong(holder.awaitLine("LOCKED", WAIT).substring("LOCKED ".length()));
                    assertThat(waiter.tryLock()).as("held by the child").isFalse();
                    CompletableFuture<Long> acquired = CompletableFuture.supplyAsync(() -> {
                        waiter.lock();
                        return System.nanoTime();
                    });
                    TestServers.awaitServerSideWaiter(url, space, 5, WAIT);
                    long killedAt = System.nanoTime();
                    holder.kill();
                    long acquiredAt = acquired.get(WAIT.toSeconds(), TimeUnit.SECONDS);
                    assertThat(waiter.fencingToken()).isGreaterThan(deadToken);
                    waiter.unlock();
                    millis.add(TimeUnit.NANOSECONDS.toMillis(acquiredAt - killedAt));
                }
            }
        }
        Collections.sort(millis);
        System.out.println("kill -9 -> waiter acquisition, ms over " + millis.size() + " trials: median "
                + millis.get(millis.size() / 2) + ", max " + millis.get(millis.size() - 1) + ", all " + millis);
        assertThat(millis.get(millis.size() - 1))
                .as("every takeover within 1 s")
                .isLessThan(1000L);
    }
}
