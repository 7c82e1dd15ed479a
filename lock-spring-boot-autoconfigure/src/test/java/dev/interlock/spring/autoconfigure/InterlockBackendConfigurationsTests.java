package dev.interlock.spring.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import dev.interlock.LockCountMismatchException;
import dev.interlock.Locker;
import dev.interlock.Manager;
import dev.interlock.file.FileLockManager;
import dev.interlock.shm.SHMLockManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

/**
 * Tests for {@link InterlockBackendConfigurations}: the shared-memory and file backends with real
 * segments and directories, their defaults, and their startup failures with the analysis text.
 * Every test uses its own segment name or directory and removes it afterwards.
 *
 * @author Interlock team
 */
@EnabledOnOs(OS.LINUX)
@ExtendWith(OutputCaptureExtension.class)
class InterlockBackendConfigurationsTests {

    private final ApplicationContextRunner contextRunner =
            new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(InterlockAutoConfiguration.class));

    /** A unique application name: the default segment and directory names derive from it. */
    private final String application = "backend-test-" + ProcessHandle.current().pid() + "-"
            + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 20);

    private final String segment = "/interlock-test-" + application;

    @TempDir
    private Path temp;

    @AfterEach
    void removeStorage() throws IOException {
        SHMLockManager.unlink(segment);
        SHMLockManager.unlink(defaultSegment());
        deleteRecursively(defaultDirectory());
    }

    @Test
    void noBackendOnLinuxShouldOpenSharedMemoryNamedAfterUserAndApplication() {
        contextRunner
                .withPropertyValues("spring.application.name=" + application)
                .run(context -> {
                    assertThat(context).hasSingleBean(SHMLockManager.class);
                    assertThat(context.getBean(Manager.class).availableLocks()).hasValue(2048);
                    assertThat(context.getBean(Manager.class).toString()).contains(defaultSegment());
                    assertThat(Path.of("/dev/shm" + defaultSegment())).exists();
                });
    }

    @Test
    void shmPathAndNumLocksShouldBeUsedAndTheSegmentShouldOutliveTheContext() {
        contextRunner
                .withPropertyValues("interlock.shm.path=" + segment, "interlock.shm.num-locks=100")
                .run(context -> {
                    assertThat(context.getBean(Manager.class).availableLocks())
                            .hasValue(SHMLockManager.roundedLockCount(100));
                    context.getBean(Manager.class).allocateLock();
                });
        try (SHMLockManager reopened = SHMLockManager.open(segment, 100)) {
            assertThat(reopened.allocatedLocks()).isEqualTo(1);
        }
    }

    @Test
    void shmSegmentWithAnotherLockCountShouldFailWithAnalysis() {
        SHMLockManager.create(segment, 64).close();
        contextRunner.withPropertyValues("interlock.shm.path=" + segment).run(context -> {
            assertThat(context).hasFailed();
            FailureAnalysis analysis = new LockCountMismatchFailureAnalyzer().analyze(context.getStartupFailure());
            assertThat(analysis).isNotNull();
            assertThat(analysis.getDescription())
                    .isEqualTo("The lock storage " + segment + " exists with 64 locks, but interlock.shm.num-locks"
                            + " asks for 2048 (after rounding up to whole 64-lock words).");
            assertThat(analysis.getAction())
                    .isEqualTo("Either set interlock.shm.num-locks to 64 to use the existing segment, or renumber:"
                            + " stop every process that uses " + segment + ", remove the segment with"
                            + " SHMLockManager.unlink(\"" + segment + "\") or 'rm /dev/shm" + segment + "' (only when"
                            + " no process uses it), start again, and re-claim stored lock IDs with"
                            + " Manager.allocateAndRetrieveLock(id).");
        });
    }

    @Test
    void shmSegmentOfAnotherFormatShouldFailWithAnalysis() throws IOException {
        Path file = Path.of("/dev/shm" + segment);
        Files.write(file, new byte[4096], StandardOpenOption.CREATE_NEW);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        contextRunner
                .withPropertyValues("interlock.shm.path=" + segment, "interlock.shm.num-locks=64")
                .run(context -> {
                    Throwable failure = context.getStartupFailure();
                    FailureAnalysis analysis = new LockStorageFailureAnalyzer().analyze(failure);
                    assertThat(analysis).isNotNull();
                    assertThat(analysis.getDescription())
                            .startsWith("Interlock cannot use the lock storage " + segment + ": ")
                            .contains("magic");
                    assertThat(analysis.getAction())
                            .isEqualTo("Stop every process that uses " + segment + " and remove it (a segment with"
                                    + " SHMLockManager.unlink(\"" + segment + "\") or 'rm /dev/shm" + segment
                                    + "', a directory with 'rm -r'), so that it is created anew at the next start,"
                                    + " then re-claim stored lock IDs with Manager.allocateAndRetrieveLock(id); or"
                                    + " point interlock.shm.path or interlock.file.directory at storage of its own.");
                    assertThat(new LockCountMismatchFailureAnalyzer().analyze(failure))
                            .isNull();
                });
        assertThat(Files.size(file)).as("the foreign segment is left as it was").isEqualTo(4096);
    }

    @Test
    void storageAnalyzerShouldLeaveCountMismatchToItsOwnAnalyzer() {
        LockCountMismatchException mismatch = new LockCountMismatchException(segment, 128, 64, "remedy");
        assertThat(new LockStorageFailureAnalyzer().analyze(mismatch)).isNull();
    }

    @Test
    void shmSegmentWritableByItsGroupShouldFailWithAnalysis() {
        SHMLockManager.create(
                        segment,
                        64,
                        SHMLockManager.Options.defaults().withMode(PosixFilePermissions.fromString("rw-rw----")))
                .close();
        contextRunner
                .withPropertyValues("interlock.shm.path=" + segment, "interlock.shm.num-locks=64")
                .run(context -> {
                    FailureAnalysis analysis =
                            new LockStorageAccessFailureAnalyzer().analyze(context.getStartupFailure());
                    assertThat(analysis).isNotNull();
                    assertThat(analysis.getDescription())
                            .isEqualTo("Interlock may not use the lock storage " + segment + ": Shared-memory segment "
                                    + segment + " has mode rw-rw----, writable by its group, but the requested mode is"
                                    + " rw-------: any access, even read-only, lets other users hold or block every"
                                    + " lock (and write access corrupt them); run chmod 600 /dev/shm" + segment
                                    + ", remove the segment when no process uses it and let it be created again,"
                                    + " request that mode with Options.withMode, or accept it with"
                                    + " Options.withAllowForeignOwner(true)");
                    assertThat(analysis.getAction())
                            .isEqualTo("Run the application as the user that owns " + segment + ", or give it the"
                                    + " owner and mode this user needs (interlock.shm.mode and interlock.file.mode set"
                                    + " the mode of new storage); to share storage that another user created on"
                                    + " purpose, set interlock.shm.allow-foreign-owner or"
                                    + " interlock.file.allow-foreign-owner to true; or use storage of your own with"
                                    + " interlock.shm.path or interlock.file.directory.");
                });
        contextRunner
                .withPropertyValues(
                        "interlock.shm.path=" + segment, "interlock.shm.num-locks=64", "interlock.shm.mode=0660")
                .run(context -> assertThat(context).hasNotFailed().hasSingleBean(SHMLockManager.class));
    }

    @Test
    void shmModeWithoutOwnerWriteShouldFailWithAnalysis() {
        contextRunner
                .withPropertyValues("interlock.shm.path=" + segment, "interlock.shm.mode=400")
                .run(context -> {
                    FailureAnalysis analysis =
                            new InvalidInterlockPropertyFailureAnalyzer().analyze(context.getStartupFailure());
                    assertThat(analysis).isNotNull();
                    assertThat(analysis.getDescription())
                            .isEqualTo("Invalid value '400' for property 'interlock.shm.mode': Segment mode r--------"
                                    + " must let the owner read and write (rw-------), or no process could use the"
                                    + " locks.");
                    assertThat(analysis.getAction())
                            .isEqualTo("Set interlock.shm.mode to a mode such as 600 or 660, or remove it to keep the"
                                    + " default (600).");
                });
    }

    @Test
    void invalidShmPathShouldFailWithAnalysis() {
        contextRunner.withPropertyValues("interlock.shm.path=no-slash").run(context -> {
            FailureAnalysis analysis =
                    new InvalidInterlockPropertyFailureAnalyzer().analyze(context.getStartupFailure());
            assertThat(analysis).isNotNull();
            assertThat(analysis.getDescription())
                    .isEqualTo("Invalid value 'no-slash' for property 'interlock.shm.path': Invalid shared-memory"
                            + " segment name 'no-slash': it must start with '/'; a POSIX shared-memory name is one"
                            + " leading '/' followed by 1 to 254 characters other than '/' and NUL, and not '.' or"
                            + " '..', for example \"/interlock\".");
            assertThat(analysis.getAction())
                    .isEqualTo("Set interlock.shm.path to a name such as /interlock-orders, or remove it to use the"
                            + " default derived from the user and spring.application.name.");
        });
    }

    @Test
    void tooManyShmLocksShouldFailWithAnalysis() {
        contextRunner
                .withPropertyValues("interlock.shm.path=" + segment, "interlock.shm.num-locks=2000000")
                .run(context -> {
                    FailureAnalysis analysis =
                            new InvalidInterlockPropertyFailureAnalyzer().analyze(context.getStartupFailure());
                    assertThat(analysis).isNotNull();
                    assertThat(analysis.getDescription())
                            .isEqualTo("Invalid value '2000000' for property 'interlock.shm.num-locks': A shared-memory"
                                    + " lock segment needs 1 to 1048576 locks, but 2000000 were requested; pass a lock"
                                    + " count in that range (it is rounded up to a multiple of 64).");
                    assertThat(Path.of("/dev/shm" + segment)).doesNotExist();
                });
    }

    @Test
    void zeroRecoveryTimeoutShouldFailWithAnalysis() {
        contextRunner
                .withPropertyValues("interlock.shm.path=" + segment, "interlock.shm.recovery-timeout=0s")
                .run(context -> {
                    FailureAnalysis analysis =
                            new InvalidInterlockPropertyFailureAnalyzer().analyze(context.getStartupFailure());
                    assertThat(analysis).isNotNull();
                    assertThat(analysis.getDescription())
                            .isEqualTo("Invalid value 'PT0S' for property 'interlock.shm.recovery-timeout' (from"
                                    + " \"interlock.shm.recovery-timeout\" from property source \"test\"): a waiter"
                                    + " needs a positive time before it checks whether the holder died.");
                });
    }

    @Test
    void noBackendOnAnotherOperatingSystemShouldStartOnTheFileBackend() {
        String os = System.getProperty("os.name");
        System.setProperty("os.name", "Mac OS X");
        try {
            contextRunner
                    .withPropertyValues("spring.application.name=" + application)
                    .run(context -> {
                        assertThat(context).hasNotFailed().hasSingleBean(FileLockManager.class);
                        assertThat(context.getBean(FileLockManager.class).directory())
                                .isEqualTo(defaultDirectory());
                    });
        } finally {
            System.setProperty("os.name", os);
        }
    }

    @Test
    void shmBackendOnAnotherOperatingSystemShouldFailWithAnalysis() {
        String os = System.getProperty("os.name");
        // The backend reads os.name on every open; the test classes of this module run one at a time.
        System.setProperty("os.name", "Mac OS X");
        try {
            contextRunner
                    .withPropertyValues("interlock.backend=shm", "interlock.shm.path=" + segment)
                    .run(context -> {
                        FailureAnalysis analysis =
                                new UnsupportedPlatformFailureAnalyzer().analyze(context.getStartupFailure());
                        assertThat(analysis).isNotNull();
                        assertThat(analysis.getDescription())
                                .startsWith("The configured Interlock backend cannot run on Mac OS X ("
                                        + System.getProperty("os.arch") + "): The shared-memory lock backend needs"
                                        + " Linux");
                        assertThat(analysis.getAction())
                                .isEqualTo("Set interlock.backend=file (the default off Linux): its lock files"
                                        + " coordinate the processes of this host on any platform. Or run the"
                                        + " application on Linux (x86-64 or AArch64) for the shm backend, or set"
                                        + " interlock.backend=memory for locks shared by the threads of this JVM"
                                        + " only.");
                    });
        } finally {
            System.setProperty("os.name", os);
        }
        assertThat(new UnsupportedPlatformFailureAnalyzer().analyze(new UnsupportedOperationException("other")))
                .isNull();
    }

    @Test
    void fileBackendWhenPortableLockingSetShouldUseTheJdksFileLocksAndSaySo(CapturedOutput output) {
        Path directory = temp.resolve("portable-locks");
        contextRunner
                .withPropertyValues(
                        "interlock.backend=file",
                        "interlock.file.directory=" + directory,
                        "interlock.file.portable-locking=true")
                .run(context -> {
                    FileLockManager manager = context.getBean(FileLockManager.class);
                    assertThat(manager.portableLocking()).isTrue();
                    Locker locker = manager.allocateLock();
                    assertThat(locker.tryLock()).isTrue();
                    locker.unlock();
                });
        assertThat(output)
                .contains("Interlock uses FileLockManager(" + directory.toAbsolutePath() + ", portable locking)")
                .contains("Interlock's file backend locks with the JDK's file locks on " + System.getProperty("os.name")
                        + " (interlock.file.portable-locking=true)");
    }

    @Test
    void fileBackendShouldOpenTheConfiguredDirectory() {
        Path directory = temp.resolve("locks");
        contextRunner
                .withPropertyValues("interlock.backend=file", "interlock.file.directory=" + directory)
                .run(context -> {
                    assertThat(context).hasSingleBean(FileLockManager.class);
                    assertThat(context.getBean(FileLockManager.class).directory())
                            .isEqualTo(directory.toAbsolutePath());
                    assertThat(context.getBean(Manager.class).availableLocks()).isEmpty();
                });
        assertThat(directory).isDirectory();
    }

    @Test
    void fileBackendShouldDefaultToADirectoryNamedAfterUserAndApplication() {
        contextRunner
                .withPropertyValues("interlock.backend=file", "spring.application.name=" + application)
                .run(context -> assertThat(
                                context.getBean(FileLockManager.class).directory())
                        .isEqualTo(defaultDirectory()));
    }

    @Test
    void fileModeWithExecuteBitsShouldFailWithAnalysis() {
        contextRunner
                .withPropertyValues(
                        "interlock.backend=file",
                        "interlock.file.directory=" + temp.resolve("locks"),
                        "interlock.file.mode=rwx------")
                .run(context -> {
                    FailureAnalysis analysis =
                            new InvalidInterlockPropertyFailureAnalyzer().analyze(context.getStartupFailure());
                    assertThat(analysis).isNotNull();
                    assertThat(analysis.getDescription())
                            .isEqualTo("Invalid value 'rwx------' for property 'interlock.file.mode': File mode"
                                    + " rwx------ has execute bits, which lock files do not need (the directory gets"
                                    + " them automatically); drop the x from the mode.");
                });
    }

    private String defaultSegment() {
        return "/interlock-" + DefaultStorageNames.sanitize(System.getProperty("user.name")) + "-" + application;
    }

    private Path defaultDirectory() {
        return Path.of(System.getProperty("java.io.tmpdir"), defaultSegment().substring(1));
    }

    private static void deleteRecursively(Path directory) throws IOException {
        if (!Files.exists(directory)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(directory)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        }
    }
}
