package dev.interlock.file;

import static org.assertj.core.api.Assertions.assertThat;

import dev.interlock.testing.ChildJvm;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Crash-ordering tests for the allocation table of a lock directory: a child process is killed
 * with {@code SIGKILL} at every {@link CrashPoints crash point} of {@code free}, {@code
 * freeAllLocks} and {@code allocateLock}, and the directory it leaves must still hand out the
 * lowest free ID and carry no name on a free ID. The children run side by side, one directory
 * each, so the whole class costs about one child JVM start.
 *
 * <p>What this cannot show: a crash inside one {@code pwrite} (the kernel writes an aligned 8-byte
 * word of a local file all or nothing in practice), or a power loss (see the durability tests).
 *
 * @author Interlock team
 */
class AllocationCrashOrderingTests {

    private static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    Path tempDir;

    @Test
    void killAtEveryStepOfAnUpdateShouldLeaveTheLowestFreeIdAllocatableAndNoNameOnAFreeId() throws IOException {
        Map<String, String[]> points = new LinkedHashMap<>();
        points.put("free.name-unbound", new String[] {"free", "0"});
        points.put("free.hint-lowered", new String[] {"free", "0"});
        points.put("free.bit-cleared", new String[] {"free", "0"});
        points.put("freeAll.names-rewritten", new String[] {"freeAll"});
        points.put("freeAll.hint-reset", new String[] {"freeAll"});
        points.put("freeAll.truncated", new String[] {"freeAll"});
        points.put("allocate.bit-set", new String[] {"allocate"});
        List<ChildJvm> children = new ArrayList<>();
        List<Path> directories = new ArrayList<>();
        try {
            for (Map.Entry<String, String[]> point : points.entrySet()) {
                Path directory = tempDir.resolve(point.getKey());
                prepare(directory);
                directories.add(directory);
                List<String> args = new ArrayList<>(List.of(directory.toString(), point.getKey()));
                args.addAll(List.of(point.getValue()));
                children.add(ChildJvm.start(CrashingChild.class, args.toArray(String[]::new)));
            }
            int i = 0;
            for (String point : points.keySet()) {
                ChildJvm child = children.get(i);
                child.awaitLine("AT " + point, WAIT);
                child.kill();
                assertConsistent(point, directories.get(i));
                i++;
            }
        } finally {
            children.forEach(ChildJvm::close);
        }
    }

    @Test
    void hintBeyondTheBitmapShouldBeIgnoredNotSkipFreeIds() throws IOException {
        Path directory = tempDir.resolve("damaged-hint");
        prepare(directory);
        try (FileChannel allocation =
                FileChannel.open(directory.resolve(LockDirectory.ALLOCATION_FILE), StandardOpenOption.WRITE)) {
            allocation.write(
                    ByteBuffer.allocate(Long.BYTES)
                            .order(ByteOrder.LITTLE_ENDIAN)
                            .putLong(0, 1L << 40),
                    0);
        }
        try (FileLockManager manager = FileLockManager.open(directory)) {
            assertThat(manager.allocateLock().id())
                    .as("without the check: LocksExhaustedException, every ID up to Integer.MAX_VALUE in use")
                    .isEqualTo(130);
        }
    }

    /**
     * IDs 0 to 129 allocated (three bitmap words, the hint at word 2), ID 0 named "zero": freeing
     * ID 0 must lower the hint, and freeing everything must reset it.
     */
    private static void prepare(Path directory) throws IOException {
        try (FileLockManager manager = FileLockManager.create(directory)) {
            assertThat(manager.namedLock("zero").id()).isZero();
        }
        try (FileChannel allocation =
                FileChannel.open(directory.resolve(LockDirectory.ALLOCATION_FILE), StandardOpenOption.WRITE)) {
            ByteBuffer words = ByteBuffer.allocate(3 * Long.BYTES).order(ByteOrder.LITTLE_ENDIAN);
            words.putLong(-1L).putLong(-1L).putLong(0b11L).flip();
            allocation.write(words, AllocationTable.HEADER_BYTES);
            allocation.write(
                    ByteBuffer.allocate(Long.BYTES)
                            .order(ByteOrder.LITTLE_ENDIAN)
                            .putLong(0, 2),
                    0);
        }
    }

    private static void assertConsistent(String point, Path directory) throws IOException {
        long[] bitmap = readBitmap(directory);
        try (FileLockManager manager = FileLockManager.open(directory)) {
            manager.lockNames()
                    .forEach((name, id) -> assertThat(isSet(bitmap, id))
                            .as("after a kill at %s, name '%s' is bound to ID %d, which is free", point, name, id)
                            .isTrue());
            assertThat(manager.allocateLock().id())
                    .as("after a kill at %s, allocateLock() hands out the lowest free ID", point)
                    .isEqualTo(lowestClear(bitmap));
        }
    }

    private static long[] readBitmap(Path directory) throws IOException {
        byte[] file = Files.readAllBytes(directory.resolve(LockDirectory.ALLOCATION_FILE));
        ByteBuffer buffer = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        long[] words = new long[Math.max(0, (file.length - AllocationTable.HEADER_BYTES) / Long.BYTES)];
        for (int i = 0; i < words.length; i++) {
            words[i] = buffer.getLong(AllocationTable.HEADER_BYTES + i * Long.BYTES);
        }
        return words;
    }

    private static boolean isSet(long[] bitmap, int id) {
        return id / 64 < bitmap.length && (bitmap[id / 64] & (1L << id)) != 0;
    }

    private static int lowestClear(long[] bitmap) {
        for (int id = 0; ; id++) {
            if (!isSet(bitmap, id)) {
                return id;
            }
        }
    }
}
