package dev.interlock.file;

import static org.assertj.core.api.Assertions.assertThat;

import dev.interlock.Locker;
import dev.interlock.testing.BargingProbe;
import dev.interlock.testing.ChildJvm;
import dev.interlock.testing.Signals;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tests for the fairness bound of {@link FileLockManager}: a waiter gets a lock that other managers
 * hold, unlock and relock in a loop. Each manager has its own descriptors, so their {@code flock}s and
 * turns compete as other processes' would. The bound asserted is far above the documented one
 * ({@code docs/benchmarks.md}), so that a loaded machine does not fail it; the benchmark measures the
 * real figure: with a hold of 10 ms the polling waiter rarely finds the lock free without the turn.
 * The turn itself is shown without timing by stopping a starving waiter process ({@code SIGSTOP})
 * and trying the lock from the releaser.
 *
 * @author Interlock team
 */
class FileLockFairnessTests {

    /** Long against the instant between a hog's unlock and relock, short against the bound. */
    private static final Duration HOLD = Duration.ofMillis(10);

    private static final Duration WAIT = Duration.ofSeconds(30);

    private static final Duration GIVE_UP = Duration.ofSeconds(10);

    private static final Duration GENEROUS_BOUND = Duration.ofSeconds(2);

    @TempDir
    Path tempDir;

    @Test
    void releaserShouldGiveWayToAStarvingWaiterOfAnotherProcess() throws InterruptedException {
        Path directory = tempDir.resolve("locks");
        try (FileLockManager manager = FileLockManager.create(directory);
                ChildJvm waiter = ChildJvm.start(FileLockChild.class, directory.toString())) {
            Locker releaser = manager.retrieveLock(5);
            releaser.lock();
            waiter.awaitLine("READY", WAIT);
            waiter.send("lock 5");
            waiter.awaitLine("LOCKING 5", WAIT);
            awaitTurnTaken(directory.resolve("5.lock"));
            Signals.stop(waiter.pid());
            try {
                releaser.unlock();
                assertThat(releaser.tryLock())
                        .as("gives way to the waiter that holds the turn")
                        .isFalse();
                // A turn that is never served (here: its holder is stopped) is ignored in the end.
                assertThat(releaser.tryLock(WAIT)).isTrue();
                releaser.unlock();
            } finally {
                Signals.resume(waiter.pid());
            }
            waiter.awaitLine("LOCKED 5", WAIT);
            waiter.send("unlock 5");
            waiter.awaitLine("UNLOCKED 5", WAIT);
        }
    }

    /** Waits until another process holds the turn of {@code lockFile}, asking through a descriptor of our own. */
    private static void awaitTurnTaken(Path lockFile) {
        int fd = Libc.Calls.openat(Libc.AT_FDCWD, lockFile.toString(), Libc.O_RDONLY | Libc.O_CLOEXEC, 0);
        assertThat(fd).as("open " + lockFile).isNotNegative();
        try {
            long began = System.nanoTime();
            while (true) {
                long[] query = {Libc.F_WRLCK, LockFiles.LockFile.TURN_OFFSET, 1, 0};
                assertThat(Libc.Calls.fcntl(fd, Libc.F_OFD_GETLK, query)).isZero();
                if ((short) query[0] != Libc.F_UNLCK) {
                    return;
                }
                assertThat(Duration.ofNanos(System.nanoTime() - began))
                        .as("waiting for the waiter to take the turn")
                        .isLessThan(WAIT);
                Thread.onSpinWait();
            }
        } finally {
            Libc.Calls.close(fd);
        }
    }

    @Test
    void waiterShouldGetALockThatAnotherManagerRelocksInALoop() throws InterruptedException {
        Path directory = tempDir.resolve("locks");
        try (FileLockManager waiter = FileLockManager.create(directory);
                FileLockManager hog = FileLockManager.open(directory)) {
            List<Locker> hogs = List.of(hog.retrieveLock(3));
            Duration longest = BargingProbe.longestWait(hogs, HOLD, waiter.retrieveLock(3), 20, GIVE_UP);
            assertThat(longest).isLessThan(GENEROUS_BOUND);
        }
    }
}
