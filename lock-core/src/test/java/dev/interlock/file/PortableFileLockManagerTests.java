package dev.interlock.file;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

import dev.interlock.HeldLock;
import dev.interlock.Locker;
import dev.interlock.Manager;
import dev.interlock.testing.LockManagerContractTests;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tests for {@link FileLockManager} in the portable mode ({@link PortableFileCalls}: the JDK's file
 * locks, as on macOS and Windows), forced on Linux: the whole contract suite, with a second
 * manager over the same directory standing in for another process, plus the JDK's file-locking
 * traps that the mode must hide. Multi-process behaviour is in {@link
 * PortableFileLockManagerProcessTests}.
 *
 * <p>What these tests cannot show: that the mode works on macOS and Windows themselves (no such
 * machine runs them); they show that it needs nothing of Linux but the JDK.
 *
 * @author Interlock team
 */
class PortableFileLockManagerTests extends LockManagerContractTests {

    private static final FileLockManager.Options PORTABLE =
            FileLockManager.Options.defaults().withPortableLocking(true);

    /** On tmpfs: several tests make thousands of allocation changes, each flushed to disk. */
    @TempDir(factory = TmpfsTempDir.class)
    Path tempDir;

    @Override
    protected Manager createManager() {
        return FileLockManager.create(tempDir.resolve("locks"), PORTABLE);
    }

    @Override
    protected Optional<Manager> openSecondManager(Manager first) {
        return Optional.of(FileLockManager.open(((FileLockManager) first).directory(), PORTABLE));
    }

    private FileLockManager fileManager() {
        return (FileLockManager) manager;
    }

    @Test
    void managerShouldSayItLocksPortably() {
        assertThat(fileManager().portableLocking()).isTrue();
        assertThat(fileManager()).hasToString("FileLockManager(" + fileManager().directory() + ", portable locking)");
        assertThat(PORTABLE).hasToString("Options(mode rw-------, allowForeignOwner false, portableLocking true)");
    }

    @Test
    void twoManagersInOneJvmShouldWaitForEachOtherInsteadOfFailing() throws Exception {
        // A second JDK lock on a file from one JVM throws OverlappingFileLockException; the mode
        // turns that into "held elsewhere" and waits.
        try (Manager other = FileLockManager.open(fileManager().directory(), PORTABLE)) {
            Locker mine = manager.retrieveLock(4);
            Locker theirs = other.retrieveLock(4);
            mine.lock();
            CompletableFuture<Boolean> waiter = CompletableFuture.supplyAsync(() -> {
                try {
                    return theirs.tryLock(Duration.ofSeconds(20));
                } catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            });
            assertThatExceptionOfType(TimeoutException.class).isThrownBy(() -> waiter.get(200, TimeUnit.MILLISECONDS));
            mine.unlock();
            assertThat(waiter.get(20, TimeUnit.SECONDS)).isTrue();
            assertThat(mine.tryLock()).isFalse();
            theirs.unlock();
        }
    }

    @Test
    void closingAnotherManagersDescriptorsShouldNotDropTheLock() {
        // On POSIX systems closing any channel of a file drops every JDK lock of the JVM on it.
        Locker held = manager.retrieveLock(0);
        held.lock();
        try (Manager other = FileLockManager.open(fileManager().directory(), PORTABLE)) {
            assertThat(other.retrieveLock(0).tryLock()).isFalse();
            for (int id = 1; id <= LockFiles.MAX_IDLE + 1; id++) {
                Locker cycled = other.retrieveLock(id);
                assertThat(cycled.tryLock()).isTrue();
                cycled.unlock();
            }
            assertThat(((FileLockManager) other).openLockFiles()).isEqualTo(LockFiles.MAX_IDLE);
        }
        try (Manager third = FileLockManager.open(fileManager().directory(), PORTABLE)) {
            assertThat(third.retrieveLock(0).tryLock())
                    .as("still held after another manager closed its descriptors of 0.lock")
                    .isFalse();
        }
        held.unlock();
    }

    @Test
    void locksHeldShouldNameThisProcessAsTheHolder() {
        Locker locker = manager.allocateLock();
        locker.lock();
        try {
            assertThat(manager.locksHeld())
                    .containsExactly(new HeldLock(
                            locker.id(),
                            Optional.empty(),
                            OptionalLong.of(ProcessHandle.current().pid()),
                            Optional.empty()));
        } finally {
            locker.unlock();
        }
    }
}
