package dev.interlock.shm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

import dev.interlock.LockStorageAccessException;
import dev.interlock.testing.SegmentNames;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The shared-memory permission rule against a real second user: uid and gid 65534 (nobody),
 * without supplementary groups, entered with {@code setpriv}, taking a POSIX read lock on the
 * segment's owner table with Python's {@code fcntl.lockf} — what a hostile local user with read
 * access could do to disable recovery and attaching. Runs only as root (to change uid) with {@code
 * setpriv} and {@code python3} installed, and is skipped with the reason otherwise.
 *
 * @author Interlock team
 */
class SHMOtherUserTests {

    private static final String SETPRIV = "/usr/bin/setpriv";

    private static final String PYTHON = "/usr/bin/python3";

    /** Opens the file read-only, read-locks [start, start + length), says HELD, keeps it until its input ends. */
    private static final String READ_LOCKER = "import fcntl, os, sys\n"
            + "fd = os.open(sys.argv[1], os.O_RDONLY)\n"
            + "fcntl.lockf(fd, fcntl.LOCK_SH | fcntl.LOCK_NB, int(sys.argv[3]), int(sys.argv[2]))\n"
            + "print('HELD', flush=True)\n"
            + "sys.stdin.read()\n";

    private final String segment = SegmentNames.unique("other-user");

    private final Path file = SegmentFiles.fileOf(segment);

    @BeforeEach
    void requireASecondUser() {
        Assumptions.assumeTrue(
                NativeCalls.geteuid() == 0,
                "needs root to run a process as uid 65534 (setpriv --reuid); running as uid " + NativeCalls.geteuid());
        Assumptions.assumeTrue(
                Files.isExecutable(Path.of(SETPRIV)) && Files.isExecutable(Path.of(PYTHON)),
                "needs " + SETPRIV + " (util-linux) and " + PYTHON);
    }

    @AfterEach
    void unlinkSegment() {
        SHMLockManager.unlink(segment);
    }

    @Test
    void otherUserShouldNotOpenASegmentWithTheDefaultMode() throws Exception {
        try (SHMLockManager manager = SHMLockManager.create(segment, 16)) {
            Process locker = readLockAsOtherUser();
            try {
                assertThat(locker.waitFor(30, TimeUnit.SECONDS)).isTrue();
                assertThat(locker.exitValue())
                        .as("the read lock as uid 65534 failed")
                        .isNotZero();
                assertThat(output(locker)).contains("Permission denied");
                assertThat(manager.retrieveLock(0).tryLock()).isTrue();
                manager.retrieveLock(0).unlock();
            } finally {
                stop(locker);
            }
        }
    }

    @Test
    void aSegmentReadableByOthersShouldBeRefusedWhileTheyCanReadLockItsOwnerTable() throws Exception {
        SHMLockManager.create(segment, 16).close();
        // What a mode of rw-r--r-- gives away: any user can open the segment and take read locks.
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        Process locker = readLockAsOtherUser();
        try {
            assertThat(firstLine(locker))
                    .as("uid 65534 read-locked the owner table through a read-only descriptor")
                    .isEqualTo("HELD");
            assertThatExceptionOfType(LockStorageAccessException.class)
                    .isThrownBy(() -> SHMLockManager.open(segment, 16))
                    .withMessageContaining("any access, even read-only")
                    .withMessageContaining("chmod 600");
        } finally {
            stop(locker);
        }
    }

    /** Starts the read locker on the segment's owner table as uid 65534. */
    private Process readLockAsOtherUser() throws IOException {
        return new ProcessBuilder(
                        SETPRIV,
                        "--reuid=65534",
                        "--regid=65534",
                        "--clear-groups",
                        PYTHON,
                        "-c",
                        READ_LOCKER,
                        file.toString(),
                        String.valueOf(ShmLayout.OWNER_TABLE_OFFSET),
                        String.valueOf(ShmLayout.OWNER_SLOTS * ShmLayout.OWNER_SLOT_LENGTH))
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

    /** Ends the locker: closing its input ends its read, and its exit drops the lock. */
    private static void stop(Process process) throws InterruptedException, IOException {
        process.getOutputStream().close();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
