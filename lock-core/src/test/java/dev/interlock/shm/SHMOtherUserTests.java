package dev.interlock.shm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

import dev.interlock.LockStorageAccessException;
import dev.interlock.testing.OtherUser;
import dev.interlock.testing.SegmentNames;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The shared-memory permission rule against a real second user ({@link OtherUser}) taking a POSIX
 * read lock on the segment's owner table with Python's {@code fcntl.lockf}: what a hostile local
 * user with read access could do to disable recovery and attaching. Skipped with the reason where
 * no second user or no {@code python3} is available.
 *
 * @author Interlock team
 */
class SHMOtherUserTests {

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
        String unavailable = OtherUser.unavailableBecause(NativeCalls.geteuid(), PYTHON);
        Assumptions.assumeTrue(unavailable == null, unavailable);
    }

    @AfterEach
    void unlinkSegment() {
        SHMLockManager.unlink(segment);
    }

    @Test
    void otherUserShouldNotOpenASegmentWithTheDefaultMode() throws Exception {
        try (SHMLockManager manager = SHMLockManager.create(segment, 16)) {
            OtherUser locker = readLockAsOtherUser();
            try {
                assertThat(locker.exitCode())
                        .as("the read lock as uid 65534 failed")
                        .isNotZero();
                assertThat(locker.output()).contains("Permission denied");
                assertThat(manager.retrieveLock(0).tryLock()).isTrue();
                manager.retrieveLock(0).unlock();
            } finally {
                locker.stop();
            }
        }
    }

    @Test
    void aSegmentReadableByOthersShouldBeRefusedWhileTheyCanReadLockItsOwnerTable() throws Exception {
        SHMLockManager.create(segment, 16).close();
        // What a mode of rw-r--r-- gives away: any user can open the segment and take read locks.
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        OtherUser locker = readLockAsOtherUser();
        try {
            assertThat(locker.firstLine())
                    .as("uid 65534 read-locked the owner table through a read-only descriptor")
                    .isEqualTo("HELD");
            assertThatExceptionOfType(LockStorageAccessException.class)
                    .isThrownBy(() -> SHMLockManager.open(segment, 16))
                    .withMessageContaining("any access, even read-only")
                    .withMessageContaining("chmod 600");
        } finally {
            locker.stop();
        }
    }

    /** Starts the read locker on the segment's owner table as uid 65534. */
    private OtherUser readLockAsOtherUser() throws IOException {
        return OtherUser.start(
                PYTHON,
                "-c",
                READ_LOCKER,
                file.toString(),
                String.valueOf(ShmLayout.OWNER_TABLE_OFFSET),
                String.valueOf(ShmLayout.OWNER_SLOTS * ShmLayout.OWNER_SLOT_LENGTH));
    }
}
