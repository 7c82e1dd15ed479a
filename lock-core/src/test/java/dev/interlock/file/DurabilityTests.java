package dev.interlock.file;

import static org.assertj.core.api.Assertions.assertThat;

import dev.interlock.Locker;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tests that every acknowledged change of a lock directory is flushed to disk before the call
 * returns, in an order that survives a power loss: each flush is recorded through the {@link
 * CrashPoints} hook ({@code sync:<file>}) and the sequence per operation is checked.
 *
 * <p>What this cannot show: that the disk honours the flush. No test here cuts the power.
 *
 * @author Interlock team
 */
class DurabilityTests {

    @TempDir
    Path tempDir;

    private final List<String> syncs = new CopyOnWriteArrayList<>();

    @BeforeEach
    void recordSyncs() {
        CrashPoints.hook = point -> {
            if (point.startsWith("sync:")) {
                syncs.add(point.substring("sync:".length()));
            }
        };
    }

    @AfterEach
    void removeHook() {
        CrashPoints.hook = null;
    }

    @Test
    void creationShouldFlushTheMarkerAndEveryDirectoryEntryBeforeReturning() {
        try (FileLockManager manager = FileLockManager.create(tempDir.resolve("locks"))) {
            assertThat(syncs)
                    .as("the marker is flushed before its rename, then the directory, then the parent's entry")
                    .containsSubsequence(
                            "allocation", "names.tmp", "directory", "interlock-format.tmp", "directory", "parent");
        }
    }

    @Test
    void allocationChangesShouldBeFlushedBeforeTheyAreAcknowledged() {
        try (FileLockManager manager = FileLockManager.create(tempDir.resolve("locks"))) {
            syncs.clear();
            Locker locker = manager.allocateLock();
            assertThat(syncs).as("allocateLock").containsExactly("allocation");
            syncs.clear();
            locker.free();
            assertThat(syncs).as("free").containsExactly("allocation");
            syncs.clear();
            manager.allocateAndRetrieveLock(9);
            assertThat(syncs).as("allocateAndRetrieveLock").containsExactly("allocation");
            syncs.clear();
            Locker named = manager.namedLock("orders");
            assertThat(syncs)
                    .as("namedLock: the bit is on disk before the name, so no name can outlive its ID")
                    .containsExactly("allocation", "names");
            syncs.clear();
            named.free();
            assertThat(syncs)
                    .as("free of a named ID: the unbinding is on disk before the bit is cleared")
                    .containsExactly("names", "allocation");
            syncs.clear();
            manager.freeAllLocks();
            assertThat(syncs)
                    .as("freeAllLocks: names, then the hint, then the bitmap")
                    .containsExactly("names.tmp", "directory", "allocation", "allocation");
        }
    }

    @Test
    void firstFencingTokenOfALockFileShouldFlushItsDirectoryEntry() {
        try (FileLockManager manager = FileLockManager.create(tempDir.resolve("locks"))) {
            Locker locker = manager.retrieveLock(3);
            locker.lock();
            syncs.clear();
            assertThat(locker.fencingToken()).isEqualTo(1);
            assertThat(syncs).containsExactly("directory");
            locker.unlock();
            locker.lock();
            syncs.clear();
            assertThat(locker.fencingToken()).isEqualTo(2);
            assertThat(syncs)
                    .as("later tokens flush only the file (fdatasync, not traced)")
                    .isEmpty();
            locker.unlock();
        }
    }
}
