package dev.interlock.file;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.interlock.InvalidLockIdException;
import dev.interlock.LockStorageAccessException;
import dev.interlock.LockStorageException;
import dev.interlock.Locker;
import dev.interlock.testing.ChildJvm;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tests for {@link LockDirectory} through the {@link FileLockManager} factories: each kind of bad
 * directory gives its own clear exception naming the path, and leaves existing lock state as it
 * was.
 *
 * @author Interlock team
 */
class LockDirectoryTests {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path tempDir;

    /** A lock directory with two allocated locks, one named, to check that failures lose nothing. */
    private Path populatedLockDirectory() {
        Path dir = tempDir.resolve("locks");
        try (FileLockManager manager = FileLockManager.create(dir)) {
            manager.allocateLock();
            manager.namedLock("kept");
        }
        return dir;
    }

    private static void assertStateKept(Path dir) {
        try (FileLockManager manager = FileLockManager.open(dir)) {
            assertThat(manager.allocatedLocks()).isEqualTo(2);
            assertThat(manager.namedLock("kept").id()).isEqualTo(1);
        }
    }

    @Test
    void createWhenDirectoryExistsShouldThrowAndKeepIt() {
        Path dir = populatedLockDirectory();
        assertThatExceptionOfType(LockStorageException.class)
                .isThrownBy(() -> FileLockManager.create(dir))
                .withMessage("Cannot create lock directory " + dir + ": it already exists; use"
                        + " FileLockManager.open(dir) to use it, or pass a path that does not exist yet");
        assertStateKept(dir);
    }

    @Test
    void openWhenDirectoryIsMissingShouldThrow() {
        Path dir = tempDir.resolve("missing");
        assertThatExceptionOfType(LockStorageException.class)
                .isThrownBy(() -> FileLockManager.open(dir))
                .withMessage("Lock directory " + dir + " does not exist; create it with FileLockManager.create(dir)"
                        + " or FileLockManager.openOrCreate(dir)")
                .satisfies(ex -> assertThat(ex.location()).isEqualTo(dir.toString()));
        assertThat(dir).doesNotExist();
        assertThatExceptionOfType(LockStorageException.class)
                .isThrownBy(() -> FileLockManager.create(tempDir.resolve("no-parent/locks")))
                .withMessageContaining("its parent directory " + tempDir.resolve("no-parent") + " does not exist");
    }

    @Test
    void fileInPlaceOfDirectoryShouldThrowForEveryFactory() throws IOException {
        Path file = Files.writeString(tempDir.resolve("locks"), "a file");
        for (Function<Path, FileLockManager> factory :
                Set.<Function<Path, FileLockManager>>of(FileLockManager::open, FileLockManager::openOrCreate)) {
            assertThatExceptionOfType(LockStorageException.class)
                    .isThrownBy(() -> factory.apply(file))
                    .withMessage(
                            "Lock directory " + file + " is a file, not a directory; remove it or choose another path");
        }
        assertThatExceptionOfType(LockStorageException.class)
                .isThrownBy(() -> FileLockManager.create(file))
                .withMessageContaining("already exists");
        assertThat(Files.readString(file)).isEqualTo("a file");
    }

    @Test
    void symlinkInPlaceOfDirectoryShouldThrow() throws IOException {
        Path dir = populatedLockDirectory();
        Path link = Files.createSymbolicLink(tempDir.resolve("link"), dir);
        assertThatExceptionOfType(LockStorageException.class)
                .isThrownBy(() -> FileLockManager.openOrCreate(link))
                .withMessageStartingWith("Lock directory " + link + " is a symbolic link");
        assertStateKept(dir);
    }

    @Test
    void directoryOfForeignFilesShouldBeRefusedUntouched() throws IOException {
        Path dir = Files.createDirectory(tempDir.resolve("photos"));
        Files.writeString(dir.resolve("holiday.jpg"), "not a lock");
        for (Function<Path, FileLockManager> factory :
                Set.<Function<Path, FileLockManager>>of(FileLockManager::open, FileLockManager::openOrCreate)) {
            assertThatExceptionOfType(LockStorageException.class)
                    .isThrownBy(() -> factory.apply(dir))
                    .withMessage("Directory " + dir + " is not an Interlock lock directory: it holds files that are"
                            + " not Interlock's, such as 'holiday.jpg' (1 in all); Interlock does not write into foreign directories: pass a new or"
                            + " empty directory, or one made by FileLockManager.create(dir)");
        }
        assertThat(dir.toFile().list()).containsExactly("holiday.jpg");
    }

    @Test
    void emptyDirectoryShouldBeInitializedOnlyByOpenOrCreate() throws IOException {
        Path dir = Files.createDirectory(tempDir.resolve("empty"));
        assertThatExceptionOfType(LockStorageException.class)
                .isThrownBy(() -> FileLockManager.open(dir))
                .withMessageContaining("is not an Interlock lock directory: it is empty");
        try (FileLockManager manager = FileLockManager.openOrCreate(dir)) {
            assertThat(manager.allocateLock().id()).isZero();
        }
        try (FileLockManager manager = FileLockManager.openOrCreate(dir)) {
            assertThat(manager.allocatedLocks()).isEqualTo(1);
        }
    }

    @Test
    void racingOpenOrCreateShouldInitializeOnce() throws Exception {
        Path dir = tempDir.resolve("raced");
        int racers = 4;
        CyclicBarrier start = new CyclicBarrier(racers);
        ExecutorService executor = Executors.newFixedThreadPool(racers);
        try {
            List<Future<Integer>> ids = new ArrayList<>();
            for (int i = 0; i < racers; i++) {
                ids.add(executor.submit(() -> {
                    start.await(30, TimeUnit.SECONDS);
                    try (FileLockManager manager = FileLockManager.openOrCreate(dir)) {
                        return manager.allocateLock().id();
                    }
                }));
            }
            Set<Integer> distinct = new HashSet<>();
            for (Future<Integer> id : ids) {
                distinct.add(id.get(30, TimeUnit.SECONDS));
            }
            assertThat(distinct).containsExactlyInAnyOrder(0, 1, 2, 3);
        } finally {
            executor.shutdownNow();
        }
        try (FileLockManager manager = FileLockManager.open(dir)) {
            assertThat(manager.allocatedLocks()).isEqualTo(racers);
        }
    }

    @Test
    void otherFormatVersionShouldBeRefused() throws IOException {
        Path dir = populatedLockDirectory();
        Path format = dir.resolve("interlock-format");
        Files.writeString(format, "interlock-file-lock-directory\nversion 2\n");
        assertThatExceptionOfType(LockStorageException.class)
                .isThrownBy(() -> FileLockManager.open(dir))
                .withMessage("Lock directory " + dir + " has format 'version 2', but this Interlock version reads"
                        + " only 'version 1'; use the Interlock version that created it, or a new directory");
        Files.writeString(format, "somebody-else\n");
        assertThatExceptionOfType(LockStorageException.class)
                .isThrownBy(() -> FileLockManager.openOrCreate(dir))
                .withMessageContaining("its interlock-format file does not start with 'interlock-file-lock-directory'");
        Files.writeString(format, "interlock-file-lock-directory\nversion 1\n");
        assertStateKept(dir);
    }

    @Test
    void directoryWithoutWakeFileShouldGetOneAtItsFirstNativeOpen() throws IOException {
        Path dir = populatedLockDirectory();
        Path wake = dir.resolve("wake");
        // As an earlier build left it: same format version, no wake file.
        Files.delete(wake);
        try (FileLockManager manager = FileLockManager.open(dir)) {
            assertThat(wake).hasSize(4096);
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(wake)))
                    .isEqualTo("rw-------");
            Locker lock = manager.retrieveLock(0);
            lock.lock();
            lock.unlock();
        }
        assertStateKept(dir);
    }

    @Test
    void directoryOfAnotherUserShouldBeRefusedUnlessAllowed() throws IOException {
        assumeThat(Libc.Calls.geteuid())
                .as("only root can give a directory away")
                .isZero();
        Path dir = populatedLockDirectory();
        Files.setAttribute(dir, "unix:uid", 4242);
        assertThatExceptionOfType(LockStorageAccessException.class)
                .isThrownBy(() -> FileLockManager.open(dir))
                .withMessage("Lock directory " + dir + " belongs to uid 4242, not to this user (uid 0), who could"
                        + " then hold or corrupt every lock; use a directory of your own, or"
                        + " Options.withAllowForeignOwner(true) for a directory shared on purpose");
        FileLockManager.Options allowed = FileLockManager.Options.defaults().withAllowForeignOwner(true);
        try (FileLockManager manager = FileLockManager.open(dir, allowed)) {
            assertThat(manager.allocatedLocks()).isEqualTo(2);
        }
    }

    @Test
    void directoryWritableByOthersShouldBeRefusedUnlessTheModeSharesIt() throws IOException {
        Path dir = populatedLockDirectory();
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
        assertThatExceptionOfType(LockStorageAccessException.class)
                .isThrownBy(() -> FileLockManager.open(dir))
                .withMessage("Lock directory " + dir + " has mode rwxrwxrwx, so every user can write to it, which"
                        + " the configured file mode rw------- does not grant; any access, even read-only, lets"
                        + " other users hold or block every lock (flock works on a read-only descriptor), and"
                        + " write access lets them corrupt them; run chmod 700 " + dir + ", share it on purpose"
                        + " with Options.withMode(rw-rw----), or accept it with"
                        + " Options.withAllowForeignOwner(true)");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwx---"));
        assertThatExceptionOfType(LockStorageAccessException.class)
                .isThrownBy(() -> FileLockManager.open(dir))
                .withMessageContaining("so its group can write to it");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-x---"));
        assertThatExceptionOfType(LockStorageAccessException.class)
                .as("read access is enough to block every lock")
                .isThrownBy(() -> FileLockManager.open(dir))
                .withMessageContaining("so its group can read it");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x--x"));
        assertThatExceptionOfType(LockStorageAccessException.class)
                .isThrownBy(() -> FileLockManager.open(dir))
                .withMessageContaining("so every user can enter it");
        try (FileLockManager manager =
                FileLockManager.open(dir, FileLockManager.Options.defaults().withAllowForeignOwner(true))) {
            assertThat(manager.allocatedLocks()).isEqualTo(2);
        }
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwx---"));
        FileLockManager.Options groupShared =
                FileLockManager.Options.defaults().withMode(PosixFilePermissions.fromString("rw-rw----"));
        try (FileLockManager manager = FileLockManager.open(dir, groupShared)) {
            assertThat(manager.allocatedLocks()).isEqualTo(2);
        }
    }

    @Test
    void nonWritableDirectoryShouldNameThePathAndPermission() throws IOException {
        assertOpenFailsWithMode(
                "r-x------",
                dir -> "FAILED dev.interlock.LockStorageAccessException Lock directory " + dir
                        + " is not writable by this user (uid " + Libc.Calls.geteuid() + "): lock files are created"
                        + " in it on first use, so it needs write permission (or the file system is"
                        + " read-only); fix its permissions");
    }

    @Test
    void unreadableDirectoryShouldNameThePathAndPermission() throws IOException {
        assertOpenFailsWithMode(
                "-wx------",
                dir -> "FAILED dev.interlock.LockStorageAccessException Cannot open the lock directory " + dir
                        + ": Permission denied (errno 13); the user (uid " + Libc.Calls.geteuid() + ") needs read and"
                        + " execute permission on it and execute permission on its directory; fix the"
                        + " permissions or run as the directory's owner");
    }

    /** Gives a populated lock directory {@code mode}, opens it in a child, and checks the failure and the state. */
    private void assertOpenFailsWithMode(String mode, Function<Path, String> expectedFailure) throws IOException {
        Path dir = populatedLockDirectory();
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString(mode));
        try {
            assertThat(openAsUnprivilegedChild(dir)).isEqualTo(expectedFailure.apply(dir));
        } finally {
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        }
        assertStateKept(dir);
    }

    /**
     * Opens {@code dir} in a child JVM that permission checks apply to, and returns its failure
     * line. Root bypasses them, so as root the child runs under {@code setpriv} without any
     * capability: still uid 0 and owner of the directory, but bound by its mode like any user.
     */
    private String openAsUnprivilegedChild(Path dir) throws IOException {
        ChildJvm.Builder builder = ChildJvm.builder(FileLockChild.class).args(dir.toString());
        if (Libc.Calls.geteuid() == 0) {
            assumeThat(Path.of("/usr/bin/setpriv"))
                    .as("setpriv to drop root's capabilities")
                    .exists();
            Path fakeJavaHome = Files.createDirectories(tempDir.resolve("capless-jdk/bin"));
            Path java = Path.of(System.getProperty("java.home"), "bin", "java");
            Files.writeString(
                    fakeJavaHome.resolve("java"),
                    "#!/bin/sh\nexec /usr/bin/setpriv --bounding-set=-all --inh-caps=-all -- '" + java + "' \"$@\"\n");
            Files.setPosixFilePermissions(fakeJavaHome.resolve("java"), PosixFilePermissions.fromString("rwx------"));
            builder.javaHome(fakeJavaHome.getParent());
        }
        try (ChildJvm child = builder.start()) {
            String failure = child.awaitLine("FAILED", WAIT);
            assertThat(child.awaitExit(WAIT)).isEqualTo(1);
            return failure;
        }
    }

    @Test
    void networkFileSystemShouldBeRefused() {
        Path dir = tempDir.resolve("locks");
        LockDirectory.checkFileSystem(dir, "ext4");
        LockDirectory.checkFileSystem(dir, "tmpfs");
        assertThatExceptionOfType(LockStorageException.class)
                .isThrownBy(() -> LockDirectory.checkFileSystem(dir, "nfs4"))
                .withMessage("Lock directory " + dir + " is on a nfs4 file system, where flock is emulated with"
                        + " per-process POSIX locks that cannot keep managers of one JVM apart; put the lock"
                        + " directory on a local file system (for example under /run or /var/lib)");
    }

    @Test
    void negativeIdShouldBeRejectedWithoutLosingState() {
        Path dir = populatedLockDirectory();
        try (FileLockManager manager = FileLockManager.open(dir)) {
            Locker held = manager.retrieveLock(0);
            held.lock();
            assertThatExceptionOfType(InvalidLockIdException.class)
                    .isThrownBy(() -> manager.retrieveLock(-1))
                    .withMessage("Lock ID -1 is out of range: valid IDs are 0 to 2147483647; use an ID returned by"
                            + " allocateLock() or namedLock()");
            assertThat(manager.retrieveLock(Integer.MAX_VALUE).tryLock()).isTrue();
            manager.retrieveLock(Integer.MAX_VALUE).unlock();
            held.unlock();
        }
        assertStateKept(dir);
    }
}
