package dev.interlock.file;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import dev.interlock.LockStorageException;
import dev.interlock.Locker;
import dev.interlock.Manager;
import dev.interlock.ManagerClosedException;
import dev.interlock.testing.LockManagerContractTests;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tests for {@link FileLockManager}: the whole contract suite, with a second manager over the same
 * directory standing in for another process, plus the JDK's file-locking traps, the descriptor
 * bound, symbolic links and the file modes. Multi-process behaviour is in {@link
 * FileLockManagerProcessTests}, bad directories in {@link LockDirectoryTests}.
 *
 * @author Interlock team
 */
class FileLockManagerTests extends LockManagerContractTests {

    /** On tmpfs: several tests make thousands of allocation changes, each flushed to disk. */
    @TempDir(factory = TmpfsTempDir.class)
    Path tempDir;

    @Override
    protected Manager createManager() {
        return FileLockManager.create(tempDir.resolve("locks"));
    }

    @Override
    protected Optional<Manager> openSecondManager(Manager first) {
        return Optional.of(FileLockManager.open(((FileLockManager) first).directory()));
    }

    private FileLockManager fileManager() {
        return (FileLockManager) manager;
    }

    private Path lockFile(int id) {
        return fileManager().directory().resolve(id + ".lock");
    }

    @Test
    void secondThreadOfTheJvmShouldBlockInsteadOfFailingOrSucceeding() throws Exception {
        // JDK trap 1: POSIX record locks belong to the process, so FileChannel.lock() in a second
        // thread either "succeeds" or throws OverlappingFileLockException.
        Locker locker = manager.allocateLock();
        locker.lock();
        CountDownLatch started = new CountDownLatch(1);
        CompletableFuture<Long> waiter = CompletableFuture.supplyAsync(() -> {
            started.countDown();
            locker.lock();
            long acquired = System.nanoTime();
            locker.unlock();
            return acquired;
        });
        assertThat(started.await(20, TimeUnit.SECONDS)).isTrue();
        assertThatExceptionOfType(TimeoutException.class)
                .as("still waiting while the lock is held")
                .isThrownBy(() -> waiter.get(200, TimeUnit.MILLISECONDS));
        long released = System.nanoTime();
        locker.unlock();
        assertThat(waiter.get(20, TimeUnit.SECONDS)).isGreaterThan(released);
    }

    @Test
    void closingAnotherDescriptorOfAHeldLockFileShouldNotDropTheLock() throws Exception {
        // JDK trap 2: closing any channel to a file drops all POSIX locks of the process on it.
        Locker held = manager.retrieveLock(0);
        held.lock();
        try (Manager other = FileLockManager.open(fileManager().directory())) {
            assertThat(other.retrieveLock(0).tryLock()).isFalse();
            // Make the other manager close its descriptor of 0.lock by cycling more locks than it keeps idle.
            for (int id = 1; id <= LockFiles.MAX_IDLE + 1; id++) {
                Locker cycled = other.retrieveLock(id);
                assertThat(cycled.tryLock()).isTrue();
                cycled.unlock();
            }
            assertThat(((FileLockManager) other).openLockFiles()).isEqualTo(LockFiles.MAX_IDLE);
        }
        try (FileChannel channel = FileChannel.open(lockFile(0), StandardOpenOption.WRITE)) {
            assertThat(channel.tryLock())
                    .as("flock and POSIX locks do not see each other")
                    .isNotNull();
        }
        try (Manager third = FileLockManager.open(fileManager().directory())) {
            assertThat(third.retrieveLock(0).tryLock())
                    .as("still held after two other descriptors were closed")
                    .isFalse();
        }
        held.unlock();
    }

    @Test
    void twoManagersInOneJvmShouldExcludeEachOther() throws Exception {
        // JDK trap 3: two FileChannels of one JVM cannot both lock a file, yet do not wait for each other.
        try (Manager other = FileLockManager.open(fileManager().directory())) {
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
    void closeShouldEndWaitsForALockHeldElsewhere() throws Exception {
        try (Manager other = FileLockManager.open(fileManager().directory())) {
            other.retrieveLock(0).lock();
            List<Thread> waiters = new ArrayList<>();
            List<CompletableFuture<String>> outcomes = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                CompletableFuture<String> outcome = new CompletableFuture<>();
                Thread waiter = new Thread(() -> {
                    try {
                        manager.retrieveLock(0).lock();
                        outcome.complete("acquired");
                    } catch (ManagerClosedException ex) {
                        outcome.complete("closed");
                    }
                });
                waiter.setDaemon(true);
                waiter.start();
                waiters.add(waiter);
                outcomes.add(outcome);
            }
            // The thread polling the flock is RUNNABLE during each try, so the states are sampled until
            // one sample shows both parked; asserting on a second sample would race with the next try.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            boolean bothWaiting = false;
            while (!bothWaiting && System.nanoTime() < deadline) {
                bothWaiting = waiters.stream().allMatch(FileLockManagerTests::isWaiting);
                Thread.yield();
            }
            assertThat(bothWaiting)
                    .as("both threads waiting for lock 0 within 20 s")
                    .isTrue();
            manager.close();
            for (CompletableFuture<String> outcome : outcomes) {
                assertThat(outcome.get(20, TimeUnit.SECONDS)).isEqualTo("closed");
            }
            assertThat(other.retrieveLock(0).tryLock())
                    .as("still held by the other manager")
                    .isFalse();
            other.retrieveLock(0).unlock();
        }
    }

    /**
     * Whether the thread is parked (on the mutex, or polling in portable mode) or asleep in the
     * kernel on the wake file's futex, where Java reports it RUNNABLE in a native method.
     */
    private static boolean isWaiting(Thread thread) {
        if (thread.getState() == Thread.State.WAITING || thread.getState() == Thread.State.TIMED_WAITING) {
            return true;
        }
        StackTraceElement[] stack = thread.getStackTrace();
        return stack.length > 1
                && stack[0].getMethodName().equals("syscall")
                && stack[1].getMethodName().equals("await");
    }

    @Test
    void touchingManyIdsShouldKeepDescriptorsBounded() throws Exception {
        List<Locker> held = new ArrayList<>();
        for (int id = 0; id < 100_000; id++) {
            Locker locker = manager.retrieveLock(id);
            locker.lock();
            if (id % 25_000 == 0) {
                held.add(locker);
            } else {
                locker.unlock();
            }
        }
        assertThat(fileManager().openLockFiles()).isEqualTo(LockFiles.MAX_IDLE + held.size());
        assertThat(descriptorsInto(fileManager().directory()))
                .as("descriptors this JVM has open on the lock directory's files")
                .isLessThanOrEqualTo(LockFiles.MAX_IDLE + held.size() + 3L);
        try (Manager other = FileLockManager.open(fileManager().directory())) {
            for (Locker locker : held) {
                assertThat(other.retrieveLock(locker.id()).tryLock())
                        .as("lock %d held throughout", locker.id())
                        .isFalse();
                locker.unlock();
            }
        }
        assertThat(fileManager().openLockFiles()).isEqualTo(LockFiles.MAX_IDLE);
    }

    /**
     * Counts this JVM's descriptors on files inside {@code directory}; other descriptors (test
     * threads, child-process pipes closing late) come and go and would make a global count flaky.
     */
    private static long descriptorsInto(Path directory) throws IOException {
        Path real = directory.toRealPath();
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.filter(fd -> {
                        try {
                            return Files.readSymbolicLink(fd).startsWith(real);
                        } catch (IOException ex) {
                            return false; // closed while listing
                        }
                    })
                    .count();
        }
    }

    @Test
    void lockFileReplacedBySymlinkShouldFailWithoutFollowingItOrLosingState() throws Exception {
        Locker victimLock = manager.allocateLock();
        Locker named = manager.namedLock("kept");
        victimLock.lock();
        victimLock.unlock();
        Path target = Files.writeString(tempDir.resolve("precious.txt"), "do not touch");
        Files.delete(lockFile(victimLock.id()));
        Files.createSymbolicLink(lockFile(victimLock.id()), target);
        // A fresh manager has no cached descriptor, so it must open the planted link.
        try (Manager fresh = FileLockManager.open(fileManager().directory())) {
            assertThatExceptionOfType(LockStorageException.class)
                    .isThrownBy(() -> fresh.retrieveLock(victimLock.id()).lock())
                    .withMessageContaining(lockFile(victimLock.id()).toString())
                    .withMessageContaining("it is a symbolic link")
                    .satisfies(ex -> assertThat(ex.location())
                            .isEqualTo(lockFile(victimLock.id()).toString()));
            assertThat(fresh.allocatedLocks()).isEqualTo(2);
            assertThat(fresh.namedLock("kept").id()).isEqualTo(named.id());
            assertThat(fresh.retrieveLock(named.id()).tryLock()).isTrue();
            fresh.retrieveLock(named.id()).unlock();
        }
        assertThat(Files.readString(target)).isEqualTo("do not touch");
        assertThat(Files.isSymbolicLink(lockFile(victimLock.id()))).isTrue();
        assertThat(manager.allocateLock().id()).isEqualTo(2);
    }

    @Test
    void allocatingShouldNotTouchLockFiles() {
        for (int i = 0; i < 10_000; i++) {
            manager.allocateLock();
        }
        assertThat(manager.allocateLock().id()).isEqualTo(10_000);
        manager.retrieveLock(5_000).free();
        assertThat(manager.allocateLock().id()).isEqualTo(5_000);
        assertThat(manager.allocatedLocks()).isEqualTo(10_001);
        assertThat(fileManager().directory().toFile().list())
                .as("allocation keeps its state apart from lock files, which appear on first lock")
                .containsExactlyInAnyOrder("interlock-format", "allocation", "names", "wake");
    }

    @Test
    void nameLogShouldStayCompactThroughManyBindAndFreeCycles() throws Exception {
        Locker kept = manager.namedLock("kept");
        try (Manager other = FileLockManager.open(fileManager().directory())) {
            for (int i = 0; i < 3_000; i++) {
                manager.namedLock("temporary-" + i).free();
                if (i % 1_000 == 0) {
                    assertThat(other.namedLock("kept").id()).isEqualTo(kept.id());
                }
            }
            assertThat(Files.size(fileManager().directory().resolve("names")))
                    .as("compacted")
                    .isLessThan(100_000);
            assertThat(other.namedLock("kept").id()).isEqualTo(kept.id());
            assertThat(other.allocatedLocks()).isEqualTo(1);
            assertThat(other.namedLock("temporary-2999").id()).isEqualTo(kept.id() + 1);
        }
    }

    @Test
    void freeAllLocksShouldKeepLockFiles() {
        Locker locker = manager.allocateLock();
        locker.lock();
        locker.unlock();
        manager.freeAllLocks();
        assertThat(lockFile(locker.id())).exists();
    }

    @Test
    void filesShouldGetTheConfiguredModeRegardlessOfUmask() throws Exception {
        Path dir = fileManager().directory();
        manager.retrieveLock(0).lock();
        manager.retrieveLock(0).unlock();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir, LinkOption.NOFOLLOW_LINKS)))
                .isEqualTo("rwx------");
        for (String file : List.of("0.lock", "allocation", "names", "wake", "interlock-format")) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve(file))))
                    .as(file)
                    .isEqualTo("rw-------");
        }
        FileLockManager.Options shared =
                FileLockManager.Options.defaults().withMode(PosixFilePermissions.fromString("rw-rw----"));
        try (FileLockManager group = FileLockManager.create(tempDir.resolve("shared"), shared)) {
            group.retrieveLock(1).lock();
            group.retrieveLock(1).unlock();
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(group.directory())))
                    .isEqualTo("rwxrwx---");
            assertThat(PosixFilePermissions.toString(
                            Files.getPosixFilePermissions(group.directory().resolve("1.lock"))))
                    .isEqualTo("rw-rw----");
            assertThat(PosixFilePermissions.toString(
                            Files.getPosixFilePermissions(group.directory().resolve("wake"))))
                    .isEqualTo("rw-rw----");
        }
    }

    @Test
    void optionsShouldValidateTheMode() {
        FileLockManager.Options defaults = FileLockManager.Options.defaults();
        assertThat(PosixFilePermissions.toString(defaults.mode())).isEqualTo("rw-------");
        assertThat(defaults.allowForeignOwner()).isFalse();
        assertThat(defaults.withAllowForeignOwner(true).allowForeignOwner()).isTrue();
        assertThat(defaults.withAllowForeignOwner(true)).isNotEqualTo(defaults);
        assertThatIllegalArgumentException()
                .isThrownBy(() -> defaults.withMode(PosixFilePermissions.fromString("r--r-----")))
                .withMessage("File mode r--r----- lacks owner read or write, which the lock files need; use for"
                        + " example rw------- or rw-rw----");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> defaults.withMode(PosixFilePermissions.fromString("rwx------")))
                .withMessageContaining("has execute bits");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> defaults.withMode(PosixFilePermissions.fromString("rw-r-----")))
                .withMessage("File mode rw-r----- gives its group read without write, but any access is enough to"
                        + " hold or block every lock (flock works on a read-only descriptor) while not enough to"
                        + " use them: grant read and write to share the locks on purpose (rw-rw----), or nothing"
                        + " (rw-------)");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> defaults.withMode(PosixFilePermissions.fromString("rw-rw-r--")))
                .withMessageContaining("gives other users read without write");
    }
}
