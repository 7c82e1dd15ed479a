package dev.interlock.file;

import dev.interlock.HeldLock;
import dev.interlock.LockStorageException;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.IntFunction;
import org.jspecify.annotations.Nullable;

/**
 * Reads which lock files of a directory are locked, by any process, without locking them: the
 * kernel lists every {@code flock} with its holder's pid, device and inode in {@code /proc/locks},
 * and a map from inode to lock ID, built by listing the directory, turns those into IDs.
 *
 * <p>The map is rebuilt when the directory's modification time changed (a lock file was created)
 * and, because that time may be coarse, at most once a second while the kernel reports locks on
 * unknown inodes of the same file system.
 *
 * @author Interlock team
 */
final class HeldLockReader {

    private static final Path PROC_LOCKS = Path.of("/proc/locks");

    private static final long RESCAN_INTERVAL_NANOS = 1_000_000_000L;

    private final Path directory;

    private Map<Long, Integer> idsByInode = Map.of();

    private FileTime listedModified = FileTime.fromMillis(0);

    private long listedAt = System.nanoTime() - RESCAN_INTERVAL_NANOS;

    HeldLockReader(Path directory) {
        this.directory = directory;
    }

    /** Returns the lock directory, absolute. */
    Path directory() {
        return directory;
    }

    /** Returns the held locks, ascending by ID, named through {@code names}. */
    synchronized List<HeldLock> read(IntFunction<@Nullable String> names) {
        try {
            long device = (Long) Files.getAttribute(directory, "unix:dev", LinkOption.NOFOLLOW_LINKS);
            Map<Long, Long> pidsByInode = exclusiveFlocks(major(device), minor(device));
            List<HeldLock> held = new ArrayList<>();
            if (pidsByInode.isEmpty()) {
                return held;
            }
            FileTime modified = Files.getLastModifiedTime(directory, LinkOption.NOFOLLOW_LINKS);
            boolean unknown = !idsByInode.keySet().containsAll(pidsByInode.keySet());
            if (!modified.equals(listedModified) || (unknown && System.nanoTime() - listedAt > RESCAN_INTERVAL_NANOS)) {
                listedAt = System.nanoTime();
                listedModified = modified;
                idsByInode = listLockFiles();
            }
            pidsByInode.forEach((inode, pid) -> {
                Integer id = idsByInode.get(inode);
                if (id != null) {
                    // A holder in a pid namespace this process cannot see is listed with pid 0.
                    OptionalLong ownerPid = pid > 0 ? OptionalLong.of(pid) : OptionalLong.empty();
                    held.add(new HeldLock(id, Optional.ofNullable(names.apply(id)), ownerPid, Optional.empty()));
                }
            });
            held.sort(Comparator.comparingInt(HeldLock::id));
            return held;
        } catch (IOException ex) {
            throw new LockStorageException(
                    directory.toString(), "Cannot read the held locks of " + directory + ": " + ex, ex);
        }
    }

    /**
     * Parses {@code /proc/locks} lines such as {@code 2: FLOCK ADVISORY WRITE 12029 fe:00:2146768
     * 0 EOF} (waiters have {@code ->} after the number and are skipped).
     */
    private static Map<Long, Long> exclusiveFlocks(long major, long minor) throws IOException {
        Map<Long, Long> pidsByInode = new HashMap<>();
        for (String line : Files.readAllLines(PROC_LOCKS)) {
            String[] fields = line.trim().split("\\s+");
            if (fields.length < 6 || !fields[1].equals("FLOCK") || !fields[3].equals("WRITE")) {
                continue;
            }
            String[] file = fields[5].split(":");
            if (file.length == 3 && Long.parseLong(file[0], 16) == major && Long.parseLong(file[1], 16) == minor) {
                pidsByInode.put(Long.parseLong(file[2]), Long.parseLong(fields[4]));
            }
        }
        return pidsByInode;
    }

    private Map<Long, Integer> listLockFiles() throws IOException {
        Map<Long, Integer> ids = new HashMap<>();
        try (DirectoryStream<Path> entries =
                Files.newDirectoryStream(directory, "*" + LockDirectory.LOCK_FILE_SUFFIX)) {
            for (Path entry : entries) {
                int id = LockDirectory.idOfLockFile(entry.getFileName().toString());
                if (id >= 0) {
                    try {
                        ids.put((Long) Files.getAttribute(entry, "unix:ino", LinkOption.NOFOLLOW_LINKS), id);
                    } catch (NoSuchFileException ex) {
                        // Removed by someone else since the listing: it cannot be held through us.
                    }
                }
            }
        }
        return ids;
    }

    /** The major number of a {@code dev_t} as glibc encodes it. */
    private static long major(long device) {
        return ((device >>> 8) & 0xfff) | ((device >>> 32) & ~0xfffL);
    }

    /** The minor number of a {@code dev_t} as glibc encodes it. */
    private static long minor(long device) {
        return (device & 0xff) | ((device >>> 12) & 0xffffff00L);
    }
}
