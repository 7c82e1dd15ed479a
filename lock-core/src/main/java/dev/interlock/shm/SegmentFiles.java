package dev.interlock.shm;

import com.sun.jna.LastErrorException;
import dev.interlock.LockStorageAccessException;
import dev.interlock.LockStorageException;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The segment as a file: names, atomic creation (section 8 of {@code docs/shm-layout.md}),
 * validation on open (section 9), and removal. On Linux {@code shm_open("/name")} opens {@code
 * /dev/shm/name}, so working on that file directly is the same object podman and C programs see.
 *
 * @author Interlock team
 */
final class SegmentFiles {

    static final Path SHM_DIRECTORY = Path.of("/dev/shm");

    /** Longest segment name, including its leading slash (NAME_MAX without the slash is 255). */
    static final int MAX_PATH_LENGTH = 255;

    /** Prefix of the temporary files that creation builds before publishing them. */
    static final String TEMP_PREFIX = ".interlock-init-";

    private SegmentFiles() {}

    /**
     * Returns the file behind the POSIX shared-memory name {@code path}.
     *
     * @throws IllegalArgumentException if {@code path} is not a valid name
     */
    static Path fileOf(String path) {
        String rule = "a POSIX shared-memory name is one leading '/' followed by 1 to " + (MAX_PATH_LENGTH - 1)
                + " characters other than '/' and NUL, and not '.' or '..', for example \"/interlock\"";
        if (path == null || path.length() < 2 || path.charAt(0) != '/') {
            throw new IllegalArgumentException(
                    "Invalid shared-memory segment name " + quoted(path) + ": it must start with '/'; " + rule);
        }
        if (path.length() > MAX_PATH_LENGTH) {
            throw new IllegalArgumentException("Invalid shared-memory segment name " + quoted(path.substring(0, 32))
                    + "...: it has " + path.length() + " characters; " + rule);
        }
        String name = path.substring(1);
        if (name.indexOf('/') >= 0 || name.indexOf('\0') >= 0 || name.equals(".") || name.equals("..")) {
            throw new IllegalArgumentException("Invalid shared-memory segment name " + quoted(path) + ": " + rule);
        }
        return SHM_DIRECTORY.resolve(name);
    }

    private static String quoted(String path) {
        return path == null ? "null" : "'" + path + "'";
    }

    /**
     * Builds a fully initialised segment in a temporary file and publishes it under {@code path}
     * with a hard link, so that no process can ever map a half-initialised segment.
     *
     * @return {@code false} if a segment with that name exists already
     */
    static boolean createAndPublish(String path, ShmLayout layout, Set<PosixFilePermission> mode) {
        Path file = fileOf(path);
        Path temp = SHM_DIRECTORY.resolve(TEMP_PREFIX + ProcessHandle.current().pid() + "-"
                + Long.toHexString(ThreadLocalRandom.current().nextLong()));
        try {
            // Private from the first instant, so nobody can open the temporary file for writing
            // before it is published; then exactly the requested mode, which a mode given at
            // creation would not be because the umask narrows it.
            Files.createFile(temp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            try {
                Files.setPosixFilePermissions(temp, mode);
                initialise(temp, layout);
                Files.createLink(file, temp);
                return true;
            } catch (FileAlreadyExistsException ex) {
                return false;
            } finally {
                Files.deleteIfExists(temp);
            }
        } catch (IOException ex) {
            throw new LockStorageException(
                    path,
                    "Cannot create shared-memory segment " + path + " (" + file + "): " + ex + "; check that "
                            + SHM_DIRECTORY + " exists, is writable and has space",
                    ex);
        }
    }

    private static void initialise(Path temp, ShmLayout layout) throws IOException {
        try (RandomAccessFile raf = new RandomAccessFile(temp.toFile(), "rw")) {
            // Sparse on tmpfs: pages that are never written cost no memory, and all-zero is the
            // initial state of every region below the header.
            raf.setLength(layout.segmentSize);
            MappedByteBuffer header = raf.getChannel().map(FileChannel.MapMode.READ_WRITE, 0, ShmLayout.HEADER_LENGTH);
            ShmSegment segment = new ShmSegment(header);
            segment.intPlain(ShmLayout.VERSION_OFFSET, ShmLayout.VERSION);
            segment.intPlain(ShmLayout.LOCK_COUNT_OFFSET, layout.lockCount);
            segment.longPlain(ShmLayout.SEGMENT_SIZE_OFFSET, layout.segmentSize);
            segment.intPlain(ShmLayout.OWNER_SLOT_COUNT_OFFSET, ShmLayout.OWNER_SLOTS);
            segment.intPlain(ShmLayout.INDEX_CAPACITY_OFFSET, layout.indexCapacity);
            // The magic goes last: a header with a magic is a complete header.
            segment.longRelease(ShmLayout.MAGIC_OFFSET, ShmLayout.MAGIC);
        }
    }

    /**
     * An opened, validated segment file: a descriptor for liveness locks and the mapping.
     *
     * @param fd the native descriptor whose open file description carries this instance's OFD
     *     liveness lock
     * @param segment the mapped segment
     * @param layout its layout
     */
    record Opened(int fd, ShmSegment segment, ShmLayout layout) {}

    private record Mapped(ShmSegment segment, ShmLayout layout) {}

    /**
     * Opens the segment {@code path}, checks its owner and mode, and validates its header before
     * mapping it (section 9).
     */
    static Opened open(String path, int requestedLocks, SHMLockManager.Options options) {
        Path file = fileOf(path);
        int fd = openDescriptor(path, file);
        boolean success = false;
        try {
            // Through /proc/self/fd every check below is about the very file the descriptor holds,
            // even if the name is replaced meanwhile.
            Path opened = Path.of("/proc/self/fd/" + fd);
            checkOwnerAndMode(path, opened, options);
            Mapped mapped = map(path, opened, requestedLocks);
            Opened result = new Opened(fd, mapped.segment(), mapped.layout());
            success = true;
            return result;
        } finally {
            if (!success) {
                NativeCalls.close(fd);
            }
        }
    }

    private static int openDescriptor(String path, Path file) {
        try {
            return NativeCalls.openReadWrite(file.toString());
        } catch (LastErrorException ex) {
            switch (ex.getErrorCode()) {
                case 2: // ENOENT
                    throw new LockStorageException(
                            path,
                            "Shared-memory segment " + path + " does not exist (no " + file
                                    + "): create it with SHMLockManager.create or openOrCreate");
                case NativeCalls.EACCES:
                    throw new LockStorageAccessException(
                            path,
                            "Permission denied opening shared-memory segment " + path + " (" + file
                                    + ") for reading and writing: it belongs to another user or its mode"
                                    + " excludes us; use a segment name of your own, or fix its owner and mode",
                            ex);
                case 40: // ELOOP
                    throw new LockStorageAccessException(
                            path,
                            "Shared-memory segment " + path + " (" + file + ") is a symbolic link, which is"
                                    + " refused because it could point anywhere; remove it and create the segment");
                default:
                    throw new LockStorageException(
                            path,
                            "Cannot open shared-memory segment " + path + " (" + file + "): errno " + ex.getErrorCode()
                                    + " (" + ex.getMessage() + ")",
                            ex);
            }
        }
    }

    private static void checkOwnerAndMode(String path, Path opened, SHMLockManager.Options options) {
        if (options.allowForeignOwner()) {
            return;
        }
        try {
            int owner = (Integer) Files.getAttribute(opened, "unix:uid");
            int me = NativeCalls.geteuid();
            if (owner != me) {
                throw new LockStorageAccessException(
                        path,
                        "Shared-memory segment " + path + " belongs to uid " + owner + ", not to this process's uid "
                                + me + ": another user could hold or corrupt every lock in it; use a segment name"
                                + " of your own, or accept it with Options.withAllowForeignOwner(true)");
            }
            Set<PosixFilePermission> actual = Files.getPosixFilePermissions(opened);
            // Any access counts, read included: a read-only descriptor can take the OFD locks on
            // owner slots and so disable recovery and attaching. Group first, then others, write
            // before read, so the message names the widest grant deterministically.
            for (PosixFilePermission grant : List.of(
                    PosixFilePermission.GROUP_WRITE,
                    PosixFilePermission.GROUP_READ,
                    PosixFilePermission.GROUP_EXECUTE,
                    PosixFilePermission.OTHERS_WRITE,
                    PosixFilePermission.OTHERS_READ,
                    PosixFilePermission.OTHERS_EXECUTE)) {
                if (actual.contains(grant) && !options.mode().contains(grant)) {
                    String name = grant.name();
                    String who = name.startsWith("GROUP") ? "its group" : "others";
                    String access =
                            name.endsWith("WRITE") ? "writable" : name.endsWith("READ") ? "readable" : "executable";
                    throw new LockStorageAccessException(
                            path,
                            "Shared-memory segment " + path + " has mode " + PosixFilePermissions.toString(actual)
                                    + ", " + access + " by " + who + ", but the requested mode is "
                                    + PosixFilePermissions.toString(options.mode()) + ": any access, even read-only,"
                                    + " lets other users hold or block every lock (and write access corrupt them);"
                                    + " run chmod 600 " + fileOf(path) + ", remove the segment when no process uses"
                                    + " it and let it be created again, request that mode with Options.withMode, or"
                                    + " accept it with Options.withAllowForeignOwner(true)");
                }
            }
        } catch (IOException ex) {
            throw new LockStorageException(
                    path, "Cannot read owner and mode of shared-memory segment " + path + ": " + ex, ex);
        }
    }

    private static Mapped map(String path, Path opened, int requestedLocks) {
        try (FileChannel channel = FileChannel.open(opened, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            long size = channel.size();
            if (size < ShmLayout.HEADER_LENGTH) {
                throw new LockStorageException(
                        path,
                        "Shared-memory segment " + path + " is truncated: it has " + size + " bytes, fewer than the "
                                + ShmLayout.HEADER_LENGTH + "-byte header; it is not a usable Interlock segment:"
                                + " when no process uses it, remove it with SHMLockManager.unlink(\"" + path + "\")");
            }
            // Validate the header before touching anything else: a mapping beyond the end of the
            // file would kill the JVM with SIGBUS on first access.
            ShmSegment header = new ShmSegment(channel.map(FileChannel.MapMode.READ_WRITE, 0, ShmLayout.HEADER_LENGTH));
            ShmLayout layout = validateHeader(path, header, size, requestedLocks);
            return new Mapped(
                    new ShmSegment(channel.map(FileChannel.MapMode.READ_WRITE, 0, layout.segmentSize)), layout);
        } catch (IOException ex) {
            throw new LockStorageException(path, "Cannot map shared-memory segment " + path + ": " + ex, ex);
        }
    }

    private static ShmLayout validateHeader(String path, ShmSegment header, long size, int requestedLocks) {
        String remove =
                "when no process uses it, remove it with SHMLockManager.unlink(\"" + path + "\") or rm " + fileOf(path);
        long magic = header.longAcquire(ShmLayout.MAGIC_OFFSET);
        if (magic != ShmLayout.MAGIC) {
            throw new LockStorageException(
                    path,
                    "Shared-memory segment " + path + " is not an Interlock lock segment: it starts with 0x"
                            + Long.toHexString(magic) + " instead of the magic \"INTRLOCK\"; another program"
                            + " uses this name: choose another segment name, or " + remove);
        }
        int version = header.intPlain(ShmLayout.VERSION_OFFSET);
        if (version != ShmLayout.VERSION) {
            throw new LockStorageException(
                    path,
                    "Shared-memory segment " + path + " has layout version " + version + ", but this Interlock"
                            + " reads version " + ShmLayout.VERSION + ": use the same Interlock version in every"
                            + " process, or " + remove);
        }
        int lockCount = header.intPlain(ShmLayout.LOCK_COUNT_OFFSET);
        long declaredSize = header.longPlain(ShmLayout.SEGMENT_SIZE_OFFSET);
        if (size < declaredSize) {
            throw new LockStorageException(
                    path,
                    "Shared-memory segment " + path + " is truncated: it has " + size + " bytes, but its header"
                            + " declares " + declaredSize + "; " + remove);
        }
        boolean validCount = lockCount >= ShmLayout.ALLOCATION_WORD_BITS
                && lockCount <= ShmLayout.MAX_LOCKS
                && lockCount % ShmLayout.ALLOCATION_WORD_BITS == 0;
        ShmLayout layout = validCount ? new ShmLayout(lockCount) : null;
        if (layout == null
                || layout.segmentSize != declaredSize
                || size != declaredSize
                || header.intPlain(ShmLayout.OWNER_SLOT_COUNT_OFFSET) != ShmLayout.OWNER_SLOTS
                || header.intPlain(ShmLayout.INDEX_CAPACITY_OFFSET) != layout.indexCapacity) {
            throw new LockStorageException(
                    path,
                    "Shared-memory segment " + path + " has a corrupt header: lock count " + lockCount
                            + ", declared size " + declaredSize + ", file size " + size
                            + " do not match layout version " + ShmLayout.VERSION + "; " + remove);
        }
        if (lockCount != requestedLocks) {
            throw new dev.interlock.LockCountMismatchException(
                    path,
                    requestedLocks,
                    lockCount,
                    "open it with " + lockCount + " locks (interlock.shm.num-locks), or, when no process uses"
                            + " it, remove it with SHMLockManager.unlink(\"" + path + "\") or rm " + fileOf(path)
                            + " and create it again, or renumber the stored lock IDs");
        }
        return layout;
    }

    /** Removes the segment; returns {@code false} if it did not exist. */
    static boolean unlink(String path) {
        try {
            return Files.deleteIfExists(fileOf(path));
        } catch (IOException ex) {
            throw new LockStorageException(
                    path, "Cannot remove shared-memory segment " + path + " (" + fileOf(path) + "): " + ex, ex);
        }
    }

    /** Returns whether the segment file exists (without following a symbolic link). */
    static boolean exists(String path) {
        return Files.exists(fileOf(path), LinkOption.NOFOLLOW_LINKS);
    }
}
