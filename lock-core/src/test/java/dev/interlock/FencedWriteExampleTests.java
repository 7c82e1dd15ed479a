package dev.interlock;

import static org.assertj.core.api.Assertions.assertThat;

import dev.interlock.shm.SHMLockManager;
import dev.interlock.testing.FencedFile;
import dev.interlock.testing.SegmentNames;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fenced-write pattern of README's "Fencing tokens" section, against a resource that refuses
 * writes whose token is not greater than the last accepted one ({@link FencedFile}, the file
 * counterpart of {@code UPDATE ... WHERE fence < :token}).
 *
 * @author Interlock team
 */
class FencedWriteExampleTests {

    private final String segment = SegmentNames.unique("fenced-write");

    private final SHMLockManager manager = SHMLockManager.create(segment, 64);

    private final ExecutorService slowDisk = Executors.newSingleThreadExecutor();

    @TempDir
    Path work;

    @AfterEach
    void cleanUp() throws InterruptedException {
        slowDisk.shutdownNow();
        assertThat(slowDisk.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        manager.close();
        SHMLockManager.unlink(segment);
    }

    @Test
    void aWriteDelayedPastTheNextHoldersWriteShouldBeRefused() throws Exception {
        FencedFile report = new FencedFile(work.resolve("report"));
        Locker locker = manager.namedLock("report");
        CountDownLatch diskStalls = new CountDownLatch(1);
        Future<Boolean> delayedWrite;
        try (LockHandle held = locker.acquire()) {
            long token = held.fencingToken();
            // The first holder's write is queued behind a stalled disk and reaches the file late.
            delayedWrite = slowDisk.submit(() -> {
                diskStalls.await();
                return report.write(token, 1);
            });
        }
        boolean laterWrite;
        try (LockHandle held = locker.acquire()) {
            laterWrite = report.write(held.fencingToken(), 2);
        }
        diskStalls.countDown();
        assertThat(laterWrite).as("the later holder's write").isTrue();
        assertThat(delayedWrite.get(10, TimeUnit.SECONDS))
                .as("the delayed write")
                .isFalse();
        assertThat(report.value()).isEqualTo(2);
    }

    @Test
    void writesInHoldOrderShouldAllBeAccepted() {
        FencedFile report = new FencedFile(work.resolve("report"));
        Locker locker = manager.namedLock("report");
        for (int value = 1; value <= 10; value++) {
            try (LockHandle held = locker.acquire()) {
                assertThat(report.write(held.fencingToken(), value)).isTrue();
            }
        }
        assertThat(report.value()).isEqualTo(10);
        assertThat(report.lastToken()).isPositive();
    }
}
