package dev.interlock.file;

import static org.assertj.core.api.Assertions.assertThat;

import dev.interlock.LockException;
import dev.interlock.Locker;
import dev.interlock.testing.FuzzRounds;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fuzzes every byte of a lock directory's state that another process of the same user can write:
 * the {@code interlock-format} marker, the {@code allocation} file (header and bitmap, and its
 * length) and the {@code names} log. Each round builds a small directory, damages one file, then
 * opens and uses it. Allowed: correct behaviour or a {@link LockException}; not allowed: any
 * other exception, a hang (each round has a deadline), a negative or out-of-range ID handed out,
 * or two managers holding one lock. Bounded to a few seconds in {@code ./mvnw verify}; a long
 * run: {@code ./mvnw -pl lock-core verify -Dtest=FileStorageFuzzTests -Dinterlock.fuzz.seconds=600}.
 *
 * @author Interlock team
 */
class FileStorageFuzzTests {

    @TempDir(factory = TmpfsTempDir.class)
    Path tempDir;

    @Test
    void mutatedDirectoryShouldFailCleanlyOrWorkCorrectly() throws Exception {
        assertThat(FuzzRounds.run("FileStorageFuzzTests", Duration.ofSeconds(20), this::round))
                .isPositive();
    }

    private void round(Random random, int round) throws Exception {
        Path dir = tempDir.resolve("round-" + round);
        try (FileLockManager setup = FileLockManager.create(dir)) {
            setup.allocateLock();
            setup.namedLock("alpha");
            setup.namedLock("beta-" + random.nextInt(100));
            setup.allocateAndRetrieveLock(70);
            if (random.nextBoolean()) {
                setup.retrieveLock(0).free();
            }
        }
        String[] files = {LockDirectory.FORMAT_FILE, LockDirectory.ALLOCATION_FILE, LockDirectory.NAMES_FILE};
        mutate(dir.resolve(files[random.nextInt(files.length)]), random);
        exercise(dir, random);
    }

    private static void mutate(Path file, Random random) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            long size = channel.size();
            switch (random.nextInt(5)) {
                case 0 -> channel.truncate(size == 0 ? 0 : random.nextLong(size));
                case 1 -> {
                    // A whole little-endian word, as the header and bitmap are made of.
                    long[] values = {0, -1, Long.MAX_VALUE, Long.MIN_VALUE, 1L << 40, 3, random.nextLong()};
                    ByteBuffer word = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
                    word.putLong(0, values[random.nextInt(values.length)]);
                    channel.write(word, random.nextInt(Math.max(1, (int) size + 16)) & ~7);
                }
                case 2 -> {
                    String[] lines = {"+-5\tneg\n", "+99999999999\tbig\n", "-x\n", "+3\n", "+7\tdup\n+8\tdup\n", "\n"};
                    channel.write(
                            ByteBuffer.wrap(lines[random.nextInt(lines.length)].getBytes()),
                            random.nextBoolean() ? size : random.nextLong(size + 1));
                }
                default -> {
                    int writes = 1 + random.nextInt(6);
                    for (int i = 0; i < writes; i++) {
                        channel.write(
                                ByteBuffer.wrap(new byte[] {(byte) random.nextInt()}),
                                random.nextLong(Math.max(1, size + 8)));
                    }
                }
            }
        }
    }

    private static void exercise(Path dir, Random random) throws Exception {
        FileLockManager manager;
        try {
            manager = FileLockManager.open(dir);
        } catch (LockException expected) {
            assertThat(expected).hasMessageContaining(dir.toString());
            return;
        }
        try (manager;
                FileLockManager other = FileLockManager.open(dir)) {
            for (int step = 0; step < 10; step++) {
                allowed(() -> {
                    switch (random.nextInt(7)) {
                        case 0 -> assertThat(manager.allocateLock().id()).isNotNegative();
                        case 1 ->
                            assertThat(manager.namedLock(random.nextBoolean() ? "alpha" : "gamma-" + random.nextInt(5))
                                            .id())
                                    .isNotNegative();
                        case 2 -> manager.retrieveLock(random.nextInt(80)).free();
                        case 3 -> {
                            Locker locker = manager.namedLock("alpha");
                            if (locker.tryLock()) {
                                try {
                                    assertThat(other.retrieveLock(locker.id()).tryLock())
                                            .as("a lock held by one manager must not be taken by another")
                                            .isFalse();
                                } finally {
                                    locker.unlock();
                                }
                            }
                        }
                        case 4 ->
                            manager.lockNames()
                                    .values()
                                    .forEach(id -> assertThat(id).isNotNegative());
                        case 5 -> manager.allocatedLocks();
                        default -> {
                            if (random.nextInt(4) == 0) {
                                manager.freeAllLocks();
                            }
                        }
                    }
                });
            }
        }
    }

    /** An operation on the fuzzed storage. */
    @FunctionalInterface
    private interface Operation {
        void run() throws Exception;
    }

    private static void allowed(Operation operation) throws Exception {
        try {
            operation.run();
        } catch (LockException | IllegalMonitorStateException expected) {
            assertThat(expected.getMessage()).isNotBlank();
        }
    }
}
