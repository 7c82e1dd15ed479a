package dev.interlock.shm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import dev.interlock.LockCountMismatchException;
import dev.interlock.LockStorageAccessException;
import dev.interlock.LockStorageException;
import dev.interlock.Locker;
import dev.interlock.testing.SegmentNames;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Tests for the factories of {@link SHMLockManager}: naming, rounding, creation, and every kind of
 * segment that {@code open} must refuse with its own clear exception.
 *
 * @author Interlock team
 */
class SHMLockManagerFactoryTests {

    private final String segment = SegmentNames.unique("factory");

    private final Path file = SegmentFiles.fileOf(segment);

    @AfterEach
    void unlinkSegment() throws IOException {
        SHMLockManager.unlink(segment);
        Files.deleteIfExists(file);
    }

    // --- podman's SHM cases -----------------------------------------------------------------

    @Test
    void lockCountShouldBeRoundedUpToWholeAllocationWord() {
        assertThat(SHMLockManager.roundedLockCount(1)).isEqualTo(64);
        assertThat(SHMLockManager.roundedLockCount(7)).isEqualTo(64);
        assertThat(SHMLockManager.roundedLockCount(64)).isEqualTo(64);
        assertThat(SHMLockManager.roundedLockCount(65)).isEqualTo(128);
        try (SHMLockManager manager = SHMLockManager.create(segment, 7)) {
            assertThat(manager.availableLocks()).hasValue(64);
            assertThat(manager.retrieveLock(63).id()).isEqualTo(63);
        }
        try (SHMLockManager reopened = SHMLockManager.open(segment, 33)) {
            assertThat(reopened.availableLocks()).as("33 rounds to the same 64").hasValue(64);
        }
    }

    @Test
    void zeroOrTooManyLocksShouldBeRejected() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> SHMLockManager.create(segment, 0))
                .withMessage("A shared-memory lock segment needs 1 to 1048576 locks, but 0 were requested; pass a"
                        + " lock count in that range (it is rounded up to a multiple of 64)");
        assertThatIllegalArgumentException().isThrownBy(() -> SHMLockManager.openOrCreate(segment, -1));
        assertThatIllegalArgumentException()
                .isThrownBy(() -> SHMLockManager.roundedLockCount((1 << 20) + 1))
                .withMessageContaining("but 1048577 were requested");
        assertThat(file).doesNotExist();
    }

    @Test
    void allocationShouldReuseLowestFreeIdAndFailWhenExhausted() {
        try (SHMLockManager manager = SHMLockManager.create(segment, 64)) {
            for (int id = 0; id < 64; id++) {
                assertThat(manager.allocateLock().id()).isEqualTo(id);
            }
            manager.retrieveLock(40).free();
            manager.retrieveLock(3).free();
            assertThat(manager.allocateLock().id()).isEqualTo(3);
            assertThat(manager.allocateLock().id()).isEqualTo(40);
            assertThatExceptionOfType(dev.interlock.LocksExhaustedException.class)
                    .isThrownBy(manager::allocateLock)
                    .withMessage("All 64 locks are allocated, so no lock is left to allocate: raise the lock count"
                            + " (interlock.shm.num-locks or the numLocks argument of SHMLockManager.create) or free"
                            + " locks that are no longer needed with Locker.free()");
            manager.freeAllLocks();
            assertThat(manager.allocatedLocks()).isZero();
        }
    }

    @Test
    void allocationShouldFindLowestFreeIdBeyondFullSummaryWords() {
        try (SHMLockManager manager = SHMLockManager.create(segment, 64 * 64 * 2)) {
            for (int id = 0; id < 64 * 64 + 5; id++) {
                manager.allocateLock();
            }
            manager.retrieveLock(64 * 64 - 1).free();
            assertThat(manager.allocateLock().id()).isEqualTo(64 * 64 - 1);
            assertThat(manager.allocateLock().id()).isEqualTo(64 * 64 + 5);
            assertThat(manager.allocatedLocks()).isEqualTo(64 * 64 + 6);
        }
    }

    // --- Names and existence ----------------------------------------------------------------

    @Test
    void invalidSegmentNamesShouldBeRejectedWithTheRule() {
        for (String bad : new String[] {"no-slash", "/", "/a/b", "/..", "/.", "//x", "/x\0y", "/" + "n".repeat(255)}) {
            assertThatIllegalArgumentException()
                    .as(bad)
                    .isThrownBy(() -> SHMLockManager.create(bad, 64))
                    .withMessageStartingWith("Invalid shared-memory segment name")
                    .withMessageContaining("a POSIX shared-memory name is one leading '/'");
        }
        assertThatIllegalArgumentException()
                .isThrownBy(() -> SHMLockManager.unlink("relative"))
                .withMessageContaining("'relative': it must start with '/'");
        assertThat(SegmentFiles.fileOf("/" + "n".repeat(254))).hasFileName("n".repeat(254));
    }

    @Test
    void createWhenSegmentExistsShouldThrowAndOpenOrCreateShouldOpen() {
        try (SHMLockManager first = SHMLockManager.create(segment, 64)) {
            assertThatExceptionOfType(LockStorageException.class)
                    .isThrownBy(() -> SHMLockManager.create(segment, 64))
                    .withMessageContaining("Shared-memory segment " + segment + " already exists")
                    .withMessageContaining("open it with SHMLockManager.open or openOrCreate");
            first.allocateLock();
            try (SHMLockManager second = SHMLockManager.openOrCreate(segment, 64)) {
                assertThat(second.allocatedLocks()).isEqualTo(1);
            }
        }
        try (Stream<Path> leftovers = Files.list(SegmentFiles.SHM_DIRECTORY)) {
            assertThat(leftovers.map(Path::toString))
                    .as("no temporary file left behind")
                    .noneMatch(name -> name.contains(
                            SegmentFiles.TEMP_PREFIX + ProcessHandle.current().pid() + "-"));
        } catch (IOException ex) {
            throw new java.io.UncheckedIOException(ex);
        }
    }

    @Test
    void openWhenSegmentIsMissingShouldThrowAndOpenOrCreateShouldCreate() {
        assertThatExceptionOfType(LockStorageException.class)
                .isThrownBy(() -> SHMLockManager.open(segment, 64))
                .withMessage("Shared-memory segment " + segment + " does not exist (no " + file
                        + "): create it with SHMLockManager.create or openOrCreate");
        try (SHMLockManager created = SHMLockManager.openOrCreate(segment, 64)) {
            assertThat(created.availableLocks()).hasValue(64);
        }
        assertThat(SHMLockManager.unlink(segment)).isTrue();
        assertThat(SHMLockManager.unlink(segment)).isFalse();
    }

    @Test
    void concurrentOpenOrCreateShouldAllAttachToOneSegment() throws Exception {
        int racers = 4;
        ExecutorService pool = Executors.newFixedThreadPool(racers);
        List<SHMLockManager> managers = new CopyOnWriteArrayList<>();
        try {
            CyclicBarrier start = new CyclicBarrier(racers);
            List<Future<SHMLockManager>> opened = new ArrayList<>();
            for (int i = 0; i < racers; i++) {
                opened.add(pool.submit(() -> {
                    start.await(20, TimeUnit.SECONDS);
                    return SHMLockManager.openOrCreate(segment, 64);
                }));
            }
            for (Future<SHMLockManager> manager : opened) {
                managers.add(manager.get(20, TimeUnit.SECONDS));
            }
            managers.get(0).allocateLock();
            for (SHMLockManager manager : managers) {
                assertThat(manager.allocatedLocks()).isEqualTo(1);
            }
        } finally {
            managers.forEach(SHMLockManager::close);
            pool.shutdownNow();
        }
    }

    @Test
    void createShouldSetTheModeRegardlessOfUmask() throws IOException {
        SHMLockManager.create(segment, 64).close();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
                .isEqualTo("rw-------");
        SHMLockManager.unlink(segment);
        SHMLockManager.Options shared =
                SHMLockManager.Options.defaults().withMode(PosixFilePermissions.fromString("rw-rw-rw-"));
        SHMLockManager.create(segment, 64, shared).close();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
                .isEqualTo("rw-rw-rw-");
        SHMLockManager.open(segment, 64, shared).close();
    }

    // --- Segments that open must refuse -----------------------------------------------------

    @Test
    void openWithAnotherLockCountShouldNameBothCountsAndTheRemedy() {
        SHMLockManager.create(segment, 64).close();
        assertThatExceptionOfType(LockCountMismatchException.class)
                .isThrownBy(() -> SHMLockManager.open(segment, 200))
                .withMessageContaining("was created with 64 locks, but 256 were requested")
                .withMessageContaining("open it with 64 locks")
                .withMessageContaining("SHMLockManager.unlink(\"" + segment + "\") or rm " + file)
                .withMessageContaining("renumber")
                .satisfies(ex -> {
                    assertThat(ex.requested()).isEqualTo(256);
                    assertThat(ex.actual()).isEqualTo(64);
                    assertThat(ex.location()).isEqualTo(segment);
                });
    }

    @Test
    void openWithWrongMagicShouldSayItIsNotOurs() throws IOException {
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(8192);
            raf.write("PODMAN-SHM-LOCKS".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        }
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        assertThatExceptionOfType(LockStorageException.class)
                .isThrownBy(() -> SHMLockManager.open(segment, 64))
                .withMessageContaining("is not an Interlock lock segment")
                .withMessageContaining("instead of the magic \"INTRLOCK\"");
    }

    @Test
    void openWithAnotherLayoutVersionShouldNameBothVersions() {
        SHMLockManager.create(segment, 64).close();
        TestSegments.writeInt(segment, ShmLayout.VERSION_OFFSET, 99);
        assertThatExceptionOfType(LockStorageException.class)
                .isThrownBy(() -> SHMLockManager.open(segment, 64))
                .withMessageContaining("has layout version 99, but this Interlock reads version " + ShmLayout.VERSION);
    }

    @Test
    void openOfTruncatedSegmentShouldFailInsteadOfCrashing() throws IOException {
        SHMLockManager.create(segment, 64).close();
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(20_000);
        }
        assertThatExceptionOfType(LockStorageException.class)
                .isThrownBy(() -> SHMLockManager.open(segment, 64))
                .withMessageContaining(
                        "is truncated: it has 20000 bytes, but its header declares " + new ShmLayout(64).segmentSize);
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(100);
        }
        assertThatExceptionOfType(LockStorageException.class)
                .isThrownBy(() -> SHMLockManager.open(segment, 64))
                .withMessageContaining("is truncated: it has 100 bytes, fewer than the 128-byte header");
    }

    @Test
    void openOfSegmentWithCorruptHeaderShouldFail() {
        SHMLockManager.create(segment, 64).close();
        TestSegments.writeInt(segment, ShmLayout.LOCK_COUNT_OFFSET, 100);
        assertThatExceptionOfType(LockStorageException.class)
                .isThrownBy(() -> SHMLockManager.open(segment, 64))
                .withMessageContaining("has a corrupt header: lock count 100");
    }

    @Test
    void openOfSegmentOwnedByAnotherUserShouldBeRefusedUnlessAllowed() throws IOException {
        SHMLockManager.create(segment, 64).close();
        Files.setAttribute(file, "unix:uid", 65534);
        assertThatExceptionOfType(LockStorageAccessException.class)
                .isThrownBy(() -> SHMLockManager.open(segment, 64))
                .withMessageContaining("belongs to uid 65534, not to this process's uid " + NativeCalls.geteuid())
                .withMessageContaining("Options.withAllowForeignOwner(true)");
        SHMLockManager.Options allow = SHMLockManager.Options.defaults().withAllowForeignOwner(true);
        try (SHMLockManager accepted = SHMLockManager.open(segment, 64, allow)) {
            assertThat(accepted.allocateLock().id()).isZero();
        }
    }

    @Test
    void openOfSegmentWritableByOthersShouldBeRefusedUnlessThatModeIsRequested() throws IOException {
        SHMLockManager.create(segment, 64).close();
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-rw-rw-"));
        assertThatExceptionOfType(LockStorageAccessException.class)
                .isThrownBy(() -> SHMLockManager.open(segment, 64))
                .withMessageContaining(
                        "has mode rw-rw-rw-, writable by its group, but the requested mode is" + " rw-------");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw----rw-"));
        assertThatExceptionOfType(LockStorageAccessException.class)
                .isThrownBy(() -> SHMLockManager.openOrCreate(segment, 64))
                .withMessageContaining("writable by others");
    }

    @Test
    void openOfSegmentReadableByOthersShouldBeRefusedUnlessAllowed() throws IOException {
        SHMLockManager.create(segment, 64).close();
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        assertThatExceptionOfType(LockStorageAccessException.class)
                .isThrownBy(() -> SHMLockManager.open(segment, 64))
                .withMessage("Shared-memory segment " + segment + " has mode rw-r--r--, readable by its group, but"
                        + " the requested mode is rw-------: any access, even read-only, lets other users hold or"
                        + " block every lock (and write access corrupt them); run chmod 600 " + file
                        + ", remove the segment when no process uses it and let it be created again, request that"
                        + " mode with Options.withMode, or accept it with Options.withAllowForeignOwner(true)");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw----r--"));
        assertThatExceptionOfType(LockStorageAccessException.class)
                .isThrownBy(() -> SHMLockManager.open(segment, 64))
                .withMessageContaining("readable by others");
        SHMLockManager.Options allow = SHMLockManager.Options.defaults().withAllowForeignOwner(true);
        try (SHMLockManager accepted = SHMLockManager.open(segment, 64, allow)) {
            assertThat(accepted.allocateLock().id()).isZero();
        }
    }

    @Test
    void openOfSymbolicLinkShouldBeRefused() throws IOException {
        Path target = Files.createTempFile("interlock-target", ".tmp");
        try {
            Files.createSymbolicLink(file, target);
            assertThatExceptionOfType(LockStorageAccessException.class)
                    .isThrownBy(() -> SHMLockManager.open(segment, 64))
                    .withMessageContaining("is a symbolic link");
        } finally {
            Files.deleteIfExists(target);
        }
    }

    @Test
    void factoriesOnAnotherOperatingSystemShouldFailAtOnceSayingWhatWorksThere() {
        String actual = System.getProperty("os.name");
        System.setProperty("os.name", "Mac OS X");
        try {
            assertThatExceptionOfType(UnsupportedOperationException.class)
                    .isThrownBy(() -> SHMLockManager.openOrCreate(segment, 64))
                    .withMessageContaining("needs Linux")
                    .withMessageContaining("but this is Mac OS X")
                    .withMessageContaining("only the single-process InMemoryManager");
        } finally {
            System.setProperty("os.name", actual);
        }
        assertThat(file).doesNotExist();
    }

    // --- Options ----------------------------------------------------------------------------

    @Test
    void optionsShouldBeImmutableWithDocumentedDefaults() {
        SHMLockManager.Options defaults = SHMLockManager.Options.defaults();
        assertThat(PosixFilePermissions.toString(defaults.mode())).isEqualTo("rw-------");
        assertThat(defaults.recoveryTimeout()).isEqualTo(Duration.ofMillis(250));
        assertThat(defaults.allowForeignOwner()).isFalse();
        assertThat(defaults.recoveryListener()).isSameAs(dev.interlock.RecoveryListener.NONE);
        SHMLockManager.Options changed = defaults.withRecoveryTimeout(Duration.ofSeconds(1));
        assertThat(changed.recoveryTimeout()).isEqualTo(Duration.ofSeconds(1));
        assertThat(defaults.recoveryTimeout()).isEqualTo(Duration.ofMillis(250));
        assertThatIllegalArgumentException()
                .isThrownBy(() -> defaults.withRecoveryTimeout(Duration.ZERO))
                .withMessage("Recovery timeout must be positive, but was PT0S; the default is 250 ms");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> defaults.withRecoveryTimeout(Duration.ofNanos(1)))
                .withMessage("Recovery timeout PT0.000000001S is below the minimum of 10 ms: waiters check the"
                        + " holder every quarter of it with a system call, so a shorter one only burns CPU; use at"
                        + " least 10 ms (the default is 250 ms)");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> defaults.withRecoveryTimeout(Duration.ofSeconds(Long.MAX_VALUE)))
                .withMessageContaining("is above the maximum of 365 days (it must fit in a long of nanoseconds");
        assertThat(defaults.withRecoveryTimeout(Duration.ofMillis(10)).recoveryTimeout())
                .isEqualTo(Duration.ofMillis(10));
        assertThatIllegalArgumentException()
                .isThrownBy(() -> defaults.withMode(PosixFilePermissions.fromString("r--r--r--")))
                .withMessageContaining("must let the owner read and write");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> defaults.withMode(PosixFilePermissions.fromString("rw-r--r--")))
                .withMessage("Segment mode rw-r--r-- gives its group read without write, but any access is enough"
                        + " to hold or block every lock (a read-only descriptor can take the file locks that decide"
                        + " liveness) while not enough to use them: grant read and write to share the locks on"
                        + " purpose (rw-rw----), or nothing (rw-------)");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> defaults.withMode(PosixFilePermissions.fromString("rw-rw--w-")))
                .withMessageContaining("gives other users write without read");
        assertThat(defaults.withMode(PosixFilePermissions.fromString("rw-rw----"))
                        .mode())
                .hasSize(4);
    }

    @Test
    void platformOtherThanLinuxOnX8664OrAarch64ShouldBeRefusedBeforeAnyStorageIsTouched() {
        SHMLockManager.checkPlatform("Linux", "amd64");
        SHMLockManager.checkPlatform("Linux", "aarch64");
        assertThatExceptionOfType(UnsupportedOperationException.class)
                .isThrownBy(() -> SHMLockManager.checkPlatform("Linux", "riscv64"))
                .withMessageStartingWith("The shared-memory lock backend supports Linux on x86-64 (amd64) and"
                        + " AArch64, but this is Linux on riscv64");
        assertThatExceptionOfType(UnsupportedOperationException.class)
                .isThrownBy(() -> SHMLockManager.checkPlatform("Mac OS X", "aarch64"))
                .withMessageContaining("needs Linux");
    }

    @Test
    void handlesShouldBeCheapAndShareTheLock() {
        try (SHMLockManager manager = SHMLockManager.create(segment, 64)) {
            Locker first = manager.retrieveLock(7);
            Locker second = manager.retrieveLock(7);
            assertThat(first).isInstanceOf(SHMLock.class);
            first.lock();
            assertThat(second.tryLock()).isFalse();
            second.unlock();
            assertThat(manager).hasToString("SHMLockManager(" + segment + ", 64 locks)");
        }
    }
}
