package dev.interlock.file;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

import dev.interlock.LockStorageAccessException;
import dev.interlock.testing.OtherUser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Tests for the permission rule of the file backend with a real second user ({@link OtherUser})
 * running the {@code flock(1)} tool; skipped with the reason where no second user is available.
 *
 * @author Interlock team
 */
class OtherUserTests {

    private static final String FLOCK = "/usr/bin/flock";

    /** A directory that uid 65534 may enter (mode 0711), with the lock directories inside it. */
    private Path base;

    @BeforeEach
    void requireASecondUser() throws IOException {
        String unavailable = OtherUser.unavailableBecause(Libc.Calls.geteuid(), FLOCK);
        Assumptions.assumeTrue(unavailable == null, unavailable);
        base = Files.createTempDirectory(Path.of("/tmp"), "interlock-other-user-");
        Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwx--x--x"));
    }

    @AfterEach
    void removeBase() throws IOException {
        if (base != null) {
            try (var walk = Files.walk(base)) {
                List<Path> paths = new ArrayList<>(walk.toList());
                java.util.Collections.reverse(paths);
                for (Path path : paths) {
                    Files.deleteIfExists(path);
                }
            }
        }
    }

    @Test
    void otherUserWithReadAccessShouldBlockALockAndSuchADirectoryShouldBeRefused() throws Exception {
        Path dir = base.resolve("shared-read");
        try (FileLockManager manager = FileLockManager.create(dir)) {
            manager.retrieveLock(0).lock();
            manager.retrieveLock(0).unlock();
        }
        // What the old mode rw-r--r-- produced: everyone may read the directory and its files.
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(dir.resolve("0.lock"), PosixFilePermissions.fromString("rw-r--r--"));
        OtherUser blocker = flockAsOtherUser(dir.resolve("0.lock"));
        try {
            assertThat(blocker.firstLine())
                    .as("uid 65534 took the flock through a read-only descriptor")
                    .isEqualTo("HELD");
            try (FileLockManager accepted =
                    FileLockManager.open(dir, FileLockManager.Options.defaults().withAllowForeignOwner(true))) {
                assertThat(accepted.retrieveLock(0).tryLock())
                        .as("read access alone blocks the owner's lock")
                        .isFalse();
            }
            assertThatExceptionOfType(LockStorageAccessException.class)
                    .isThrownBy(() -> FileLockManager.open(dir))
                    .withMessageContaining("so every user can read it");
        } finally {
            blocker.stop();
        }
    }

    @Test
    void otherUserShouldNotReachTheLocksOfADirectoryWithTheDefaultMode() throws Exception {
        Path dir = base.resolve("private");
        try (FileLockManager manager = FileLockManager.create(dir)) {
            manager.retrieveLock(0).lock();
            manager.retrieveLock(0).unlock();
            OtherUser blocker = flockAsOtherUser(dir.resolve("0.lock"));
            try {
                assertThat(blocker.exitCode()).as("flock as uid 65534 failed").isNotZero();
                assertThat(blocker.output()).contains("Permission denied");
                assertThat(manager.retrieveLock(0).tryLock()).isTrue();
                manager.retrieveLock(0).unlock();
            } finally {
                blocker.stop();
            }
        }
    }

    /** Starts {@code flock -x -n} on {@code file} as uid 65534; it prints HELD and keeps the lock until its input ends. */
    private static OtherUser flockAsOtherUser(Path file) throws IOException {
        return OtherUser.start(
                FLOCK, "--close", "--exclusive", "--nonblock", file.toString(), "-c", "echo HELD; exec cat");
    }
}
