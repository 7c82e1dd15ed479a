package dev.interlock.benchmarks.multiprocess;

import static org.assertj.core.api.Assertions.assertThat;

import dev.interlock.benchmarks.PostgresServer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Tests for {@link PostgresSubject} on the server {@link PostgresServer#find()} finds: each subject
 * really excludes. Two sessions stand for two processes: each has its own connections (and, for the
 * peers, its own pool and registry), so only the server can keep their threads apart, as it must
 * between processes; the multi-process path itself is run by {@link MultiProcessBenchmarkTests}.
 *
 * @author Interlock team
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PostgresSubjectTests {

    private static final int ITERATIONS = 15;

    private static PostgresServer server;

    @BeforeAll
    static void findServer() {
        server = PostgresServer.find();
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    @ParameterizedTest
    @EnumSource(PostgresSubject.class)
    void twoSessionsIncrementingUnderOneLockShouldNeverOverlapNorLoseAnUpdate(PostgresSubject subject)
            throws Exception {
        String location = subject.create(server.url(), 4);
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger overlaps = new AtomicInteger();
        // Read and written in two steps, so that a lock that does not exclude loses updates.
        AtomicInteger counter = new AtomicInteger();
        try (LockSession first = subject.open(location, 4);
                LockSession second = subject.open(location, 4)) {
            List<CompletableFuture<Void>> threads = new ArrayList<>();
            for (LockSession session : List.of(first, second)) {
                ContendedLock lock = session.lock(1);
                threads.add(CompletableFuture.runAsync(() -> {
                    for (int i = 0; i < ITERATIONS; i++) {
                        lock.lock();
                        try {
                            if (inside.incrementAndGet() != 1) {
                                overlaps.incrementAndGet();
                            }
                            int read = counter.get();
                            Thread.sleep(1);
                            counter.set(read + 1);
                            inside.decrementAndGet();
                        } catch (InterruptedException ex) {
                            throw new IllegalStateException(ex);
                        } finally {
                            lock.unlock();
                        }
                    }
                }));
            }
            CompletableFuture.allOf(threads.toArray(CompletableFuture[]::new)).get(90, TimeUnit.SECONDS);
        } finally {
            subject.remove(location);
        }
        assertThat(overlaps).as("threads inside the lock together").hasValue(0);
        assertThat(counter).hasValue(2 * ITERATIONS);
    }

    @Test
    void intLockDdlShouldBeTheCreateTableShippedInSpringIntegrationsJar() {
        assertThat(PostgresSubject.intLockDdl())
                .startsWith("CREATE TABLE IF NOT EXISTS INT_LOCK ")
                .contains("LOCK_KEY", "REGION", "CLIENT_ID")
                .doesNotContain("INT_MESSAGE", ";");
    }

    @Test
    void findShouldTellSubjectsFromBackendNames() {
        assertThat(PostgresSubject.find("SHEDLOCK")).contains(PostgresSubject.SHEDLOCK);
        assertThat(PostgresSubject.find("SHM")).isEmpty();
    }
}
