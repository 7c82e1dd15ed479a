package dev.interlock.file;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

import dev.interlock.LockStorageAccessException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Tests for the permission rule of the file backend with a real second user: uid and gid 65534
 * (nobody), without supplementary groups, entered with {@code setpriv}, running the {@code
 * flock(1)} tool. They run only as root (to change uid) with {@code setpriv} and {@code flock}
 * installed, and are skipped with the reason otherwise.
 *
 * @author Interlock team
 */
class OtherUserTests {

    private static final String SETPRIV = "/usr/bin/setpriv";

    private static final String FLOCK = "/usr/bin/flock";

    /** A directory that uid 65534 may enter (mode 0711), with the lock directories inside it. */
    private Path base;

    @BeforeEach
    void requireASecondUser() throws IOException {
        Assumptions.assumeTrue(
                Libc.geteuid() == 0,
                "needs root to run a process as uid 65534 (setpriv --reuid); running as uid " + Libc.geteuid());
        Assumptions.assumeTrue(
                Files.isExecutable(Path.of(SETPRIV)) && Files.isExecutable(Path.of(FLOCK)),
                "needs " + SETPRIV + " and " + FLOCK + " (util-linux)");
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
        Process blocker = flockAsOtherUser(dir.resolve("0.lock"));
        try {
            assertThat(firstLine(blocker))
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
            stop(blocker);
        }
    }

    @Test
    void otherUserShouldNotReachTheLocksOfADirectoryWithTheDefaultMode() throws Exception {
        Path dir = base.resolve("private");
        try (FileLockManager manager = FileLockManager.create(dir)) {
            manager.retrieveLock(0).lock();
            manager.retrieveLock(0).unlock();
            Process blocker = flockAsOtherUser(dir.resolve("0.lock"));
            try {
                assertThat(blocker.waitFor(30, TimeUnit.SECONDS)).isTrue();
                assertThat(blocker.exitValue()).as("flock as uid 65534 failed").isNotZero();
                assertThat(output(blocker)).contains("Permission denied");
                assertThat(manager.retrieveLock(0).tryLock()).isTrue();
                manager.retrieveLock(0).unlock();
            } finally {
                stop(blocker);
            }
        }
    }

    /** Starts {@code flock -x -n} on {@code file} as uid 65534; it prints HELD and keeps the lock until its input ends. */
    private static Process flockAsOtherUser(Path file) throws IOException {
        return new ProcessBuilder(
                        SETPRIV,
                        "--reuid=65534",
                        "--regid=65534",
                        "--clear-groups",
                        FLOCK,
                        "--close",
                        "--exclusive",
                        "--nonblock",
                        file.toString(),
                        "-c",
                        "echo HELD; exec cat")
                .redirectErrorStream(true)
                .start();
    }

    private static String firstLine(Process process) throws IOException {
        BufferedReader reader =
                new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        String line = reader.readLine();
        return line == null
                ? "(no output, exit " + (process.isAlive() ? "still running" : process.exitValue()) + ")"
                : line;
    }

    private static String output(Process process) throws IOException {
        return new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }

    /** Ends the blocker: closing its input ends {@code cat}, and then {@code flock} drops the lock. */
    private static void stop(Process process) throws InterruptedException, IOException {
        process.getOutputStream().close();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
