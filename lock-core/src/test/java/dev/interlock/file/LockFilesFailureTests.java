package dev.interlock.file;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

import com.sun.jna.Library;
import com.sun.jna.Native;
import dev.interlock.LockStorageException;
import dev.interlock.Locker;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tests for {@link LockFiles} when a system call fails in an unexpected way: every path after the
 * per-lock mutex was taken must either record the hold or give the mutex back.
 *
 * @author Interlock team
 */
class LockFilesFailureTests {

    /** {@code O_PATH}: a descriptor that names a file but cannot be locked; the same on x86-64 and aarch64. */
    private static final int O_PATH = 0x200000;

    /** The two calls the test needs to swap a lock file's descriptor for one that {@code flock} rejects. */
    interface TestLibc extends Library {
        int open(String path, int flags);

        int dup2(int oldFd, int newFd);

        int close(int fd);
    }

    private static final TestLibc LIBC = Native.load("c", TestLibc.class);

    @TempDir
    Path tempDir;

    @Test
    void tryLockWhoseFlockFailsUnexpectedlyShouldGiveTheMutexBack() throws InterruptedException {
        try (FileLockManager manager = FileLockManager.create(tempDir.resolve("locks"))) {
            Locker locker = manager.retrieveLock(4);
            assertThat(locker.tryLock()).isTrue();
            locker.unlock();
            // The idle lock file keeps its descriptor: make it one that flock fails on with EBADF,
            // as it would fail with ENOLCK when the kernel runs out of lock records.
            LockFiles.LockFile file = filesOf(manager).reserve(4);
            int pathOnly = LIBC.open(manager.directory().resolve("4.lock").toString(), O_PATH);
            assertThat(pathOnly).isNotNegative();
            try {
                assertThat(LIBC.dup2(pathOnly, file.fd)).isEqualTo(file.fd);
            } finally {
                LIBC.close(pathOnly);
            }
            filesOf(manager).unreserve(file);
            assertThatExceptionOfType(LockStorageException.class)
                    .isThrownBy(locker::tryLock)
                    .withMessageContaining("Cannot lock " + manager.directory().resolve("4.lock"));
            // With the mutex leaked, this tryLock would return false at once and lock() would wait
            // forever; with it given back, the flock is attempted (and fails) again.
            assertThatExceptionOfType(LockStorageException.class)
                    .as("the mutex was given back")
                    .isThrownBy(() -> locker.tryLock(Duration.ofSeconds(5)));
        }
    }

    private static LockFiles filesOf(FileLockManager manager) {
        try {
            java.lang.reflect.Field files = FileLockManager.class.getDeclaredField("files");
            files.setAccessible(true);
            return (LockFiles) files.get(manager);
        } catch (ReflectiveOperationException ex) {
            throw new AssertionError("FileLockManager has no field 'files' any more; update this test", ex);
        }
    }
}
