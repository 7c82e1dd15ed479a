package dev.interlock.postgresql;

import static org.assertj.core.api.Assertions.assertThat;

import dev.interlock.LockHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Tests that temporary name locks make progress when three managers contend for one name. Their
 * waits run in 50 ms slices, so the server often ends a wait with the lock timeout at the moment it
 * grants the shared lock; the shared lock then outlived the statement on the waiter session, and no
 * manager could take the lock again (none of the 300 acquisitions below finished within a minute).
 *
 * @author Interlock team
 */
class PostgresTemporaryNameContentionTests {

    private final String url = TestServers.local();

    private final String space = TestServers.uniqueSpace("names");

    @AfterEach
    void dropLockSpace() {
        PostgresLockManager.drop(url, space);
    }

    @Test
    void threeManagersContendingForOneTemporaryNameShouldAllFinish() throws Exception {
        List<PostgresLockManager> managers = new ArrayList<>();
        ExecutorService threads = Executors.newFixedThreadPool(3);
        int[] count = {0};
        try {
            for (int i = 0; i < 3; i++) {
                managers.add(PostgresLockManager.openOrCreate(url, space, 16, TestServers.options()));
            }
            List<CompletableFuture<Void>> runs = new ArrayList<>();
            for (PostgresLockManager manager : managers) {
                runs.add(CompletableFuture.runAsync(
                        () -> {
                            for (int k = 0; k < 100; k++) {
                                try (LockHandle held = manager.lockName("contended")) {
                                    count[0]++;
                                } catch (InterruptedException ex) {
                                    Thread.currentThread().interrupt();
                                    throw new IllegalStateException(ex);
                                }
                            }
                        },
                        threads));
            }
            CompletableFuture.allOf(runs.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
            assertThat(count[0]).isEqualTo(300);
        } finally {
            threads.shutdownNow();
            managers.forEach(PostgresLockManager::close);
        }
    }
}
