package dev.interlock.file;

import static dev.interlock.file.Libc.AT_FDCWD;
import static dev.interlock.file.Libc.EACCES;
import static dev.interlock.file.Libc.EEXIST;
import static dev.interlock.file.Libc.ELOOP;
import static dev.interlock.file.Libc.ENOENT;
import static dev.interlock.file.Libc.EPERM;
import static dev.interlock.file.Libc.EROFS;
import static dev.interlock.file.Libc.EWOULDBLOCK;
import static dev.interlock.file.Libc.LOCK_EX;
import static dev.interlock.file.Libc.LOCK_NB;
import static dev.interlock.file.Libc.LOCK_SH;
import static dev.interlock.file.Libc.LOCK_UN;
import static dev.interlock.file.Libc.O_CREAT;
import static dev.interlock.file.Libc.O_DIRECTORY;
import static dev.interlock.file.Libc.O_EXCL;
import static dev.interlock.file.Libc.O_NOFOLLOW;
import static dev.interlock.file.Libc.O_RDWR;
import static dev.interlock.file.Libc.O_TRUNC;
import static dev.interlock.file.Libc.O_WRONLY;
import static dev.interlock.file.Libc.SEEK_END;

import dev.interlock.HeldLock;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.ReadOnlyFileSystemException;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntFunction;
import org.jspecify.annotations.Nullable;

/**
 * The file backend's calls emulated on the JDK alone ({@link FileChannel} and its {@link
 * FileLock}s), for macOS, Windows and any platform without {@link Libc}'s flag values; on Linux
 * only when {@link FileLockManager.Options#withPortableLocking(boolean)} or the system property
 * {@value FileLockManager.Options#PORTABLE_PROPERTY} asks for it (to test this mode).
 *
 * <p>A JDK file lock is not an {@code flock}: it belongs to the whole JVM, not to a descriptor
 * (a second lock on the same file from this JVM throws {@link OverlappingFileLockException}
 * instead of waiting), and on POSIX systems closing <em>any</em> channel of a file drops every
 * lock the JVM holds on it. The emulation keeps {@code flock}'s semantics on top:
 *
 * <ul>
 *   <li>Descriptors are numbers in a table of this JVM. Every descriptor opened for reading and
 *       writing (the lock files and the allocation file: the only files ever locked) shares one
 *       channel per file with every other manager of the JVM, and the channel is closed only when
 *       its last descriptor is, so closing a descriptor never drops another descriptor's lock.
 *   <li>A lock taken through one descriptor makes a {@code LOCK_NB} request through another one of
 *       this JVM fail with {@code EWOULDBLOCK}, as a lock held by another process does; threads of
 *       one manager are already kept apart by {@link LockFiles}'s per-lock mutex.
 *   <li>A blocking request polls {@code tryLock} with a growing pause (20 µs to 1 ms), because a
 *       JDK lock cannot be waited for with a timeout or interruptibly, nor waited for at all
 *       while another channel of this JVM holds it.
 *   <li>The lock covers one byte far beyond any data ({@value #LOCK_POSITION}), not the file's
 *       content: Windows locks are mandatory, and readers read the allocation header without the
 *       directory lock.
 * </ul>
 *
 * <p>Reduced behaviour, compared with the native calls: {@code fchmod} applies the mode where the
 * file system has POSIX permissions and does nothing elsewhere (Windows: the directory's ACLs
 * apply, and its owner and mode are not checked); a directory is not flushed to disk on Windows,
 * which cannot open one; symbolic links are refused when a file is opened, but a link planted
 * between the check and a mode change is not detected; and {@link #readHeld} lists only the locks
 * this JVM holds, because no portable API shows other processes' locks.
 *
 * @author Interlock team
 */
final class PortableFileCalls implements FileCalls {

    static final PortableFileCalls INSTANCE = new PortableFileCalls();

    /** Where in a file the lock lies: past any content, so that it never blocks a read. */
    static final long LOCK_POSITION = Long.MAX_VALUE - 1;

    private static final int EIO = 5;

    private static final int EBADF = 9;

    private static final int ENOTDIR = 20;

    private static final int EISDIR = 21;

    private static final int EINVAL = 22;

    private static final Map<Integer, String> ERRORS = Map.of(
            EPERM, "Operation not permitted",
            ENOENT, "No such file or directory",
            EIO, "Input/output error",
            EBADF, "Bad file descriptor",
            EWOULDBLOCK, "Resource temporarily unavailable",
            EACCES, "Permission denied",
            EEXIST, "File exists",
            ENOTDIR, "Not a directory",
            EISDIR, "Is a directory",
            EROFS, "Read-only file system");

    private static final boolean POSIX =
            FileSystems.getDefault().supportedFileAttributeViews().contains("posix");

    private static final boolean WINDOWS =
            System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("windows");

    private final Map<Integer, Descriptor> descriptors = new ConcurrentHashMap<>();

    /** Channels opened for reading and writing, by file; guarded by itself. */
    private final Map<Path, SharedChannel> shared = new HashMap<>();

    private final AtomicInteger nextFd = new AtomicInteger(3);

    /** The last failure of each thread, for {@link #errno()} and {@link #describe(int)}. */
    private final ThreadLocal<Failure> lastFailure = ThreadLocal.withInitial(() -> new Failure(0, ""));

    private PortableFileCalls() {}

    @Override
    public boolean portable() {
        return true;
    }

    @Override
    public int openat(int dirFd, String path, int flags, int mode) {
        Path file;
        if (dirFd == AT_FDCWD) {
            file = Path.of(path);
        } else {
            Descriptor directory = descriptors.get(dirFd);
            if (directory == null) {
                return fail(EBADF, "descriptor " + dirFd + " is not open");
            }
            file = directory.path.resolve(path).normalize();
        }
        try {
            if ((flags & O_DIRECTORY) != 0) {
                return register(new Descriptor(file, null), openDirectory(file, flags));
            }
            int access = flags & (O_WRONLY | O_RDWR);
            return register(new Descriptor(file, open(file, flags, mode, access)), 0);
        } catch (IOException | RuntimeException ex) {
            return fail(ex, file);
        }
    }

    private static int openDirectory(Path file, int flags) throws IOException {
        LinkOption[] links =
                (flags & O_NOFOLLOW) != 0 ? new LinkOption[] {LinkOption.NOFOLLOW_LINKS} : new LinkOption[0];
        BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class, links);
        if (attributes.isSymbolicLink()) {
            return ELOOP;
        }
        return attributes.isDirectory() ? 0 : ENOTDIR;
    }

    private SharedChannel open(Path file, int flags, int mode, int access) throws IOException {
        Set<OpenOption> options = new HashSet<>();
        if (access != O_WRONLY) {
            options.add(StandardOpenOption.READ);
        }
        if (access != 0) {
            options.add(StandardOpenOption.WRITE);
        }
        if ((flags & O_CREAT) != 0) {
            options.add((flags & O_EXCL) != 0 ? StandardOpenOption.CREATE_NEW : StandardOpenOption.CREATE);
        }
        if ((flags & O_TRUNC) != 0) {
            options.add(StandardOpenOption.TRUNCATE_EXISTING);
        }
        if ((flags & O_NOFOLLOW) != 0) {
            options.add(LinkOption.NOFOLLOW_LINKS);
        }
        FileAttribute<?>[] attributes = (flags & O_CREAT) != 0 && POSIX
                ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(LockDirectory.permissions(mode))}
                : new FileAttribute<?>[0];
        if (access != O_RDWR) {
            return new SharedChannel(file, FileChannel.open(file, options, attributes), false);
        }
        // Keyed by the real path, so that two spellings of one directory (/tmp and /private/tmp on
        // macOS) share a channel too: the directory exists, the file may not yet.
        Path key = file.getParent().toRealPath().resolve(file.getFileName());
        synchronized (shared) {
            SharedChannel channel = shared.get(key);
            if (channel != null) {
                if ((flags & O_EXCL) != 0) {
                    throw new FileAlreadyExistsException(file.toString());
                }
                channel.users++;
                return channel;
            }
            channel = new SharedChannel(key, FileChannel.open(file, options, attributes), true);
            shared.put(key, channel);
            return channel;
        }
    }

    private int register(Descriptor descriptor, int errno) {
        if (errno != 0) {
            return fail(errno, descriptor.path.toString());
        }
        int fd;
        do {
            fd = nextFd.getAndUpdate(next -> next == Integer.MAX_VALUE ? 3 : next + 1);
        } while (descriptors.putIfAbsent(fd, descriptor) != null);
        return fd;
    }

    @Override
    public int close(int fd) {
        Descriptor descriptor = descriptors.remove(fd);
        if (descriptor == null) {
            return fail(EBADF, "descriptor " + fd + " is not open");
        }
        try {
            // The lock first: a lock of a closed channel can no longer be released.
            release(descriptor);
            if (descriptor.channel != null) {
                descriptor.channel.close(shared);
            }
            return 0;
        } catch (IOException ex) {
            return fail(ex, descriptor.path);
        }
    }

    @Override
    public int flock(int fd, int operation) {
        Descriptor descriptor = descriptors.get(fd);
        if (descriptor == null || descriptor.channel == null) {
            return fail(EBADF, "descriptor " + fd + " is not an open file");
        }
        try {
            int kind = operation & ~LOCK_NB;
            if (kind == LOCK_UN) {
                release(descriptor);
                return 0;
            }
            if (kind != LOCK_EX && kind != LOCK_SH) {
                return fail(EINVAL, "flock operation " + operation);
            }
            boolean sharedLock = kind == LOCK_SH;
            FileLock held = descriptor.lock;
            if (held != null && held.isShared() == sharedLock) {
                return 0;
            }
            // flock converts a lock non-atomically too: the old one is dropped first.
            release(descriptor);
            long backoff = LockFiles.LockFile.MIN_BACKOFF_NANOS;
            while (!tryLock(descriptor, sharedLock)) {
                if ((operation & LOCK_NB) != 0) {
                    return fail(EWOULDBLOCK, descriptor.path.toString());
                }
                // A blocking flock is not interruptible here either; callers keep their waits short.
                LockSupport.parkNanos(this, backoff);
                backoff = Math.min(backoff * 2, LockFiles.LockFile.MAX_BACKOFF_NANOS);
            }
            return 0;
        } catch (IOException ex) {
            return fail(ex, descriptor.path);
        }
    }

    @Override
    public int fcntl(int fd, int command, long[] flock) {
        // A JDK lock on the turn's byte would conflict with the locks above within this JVM: no turn.
        return fail(EINVAL, "fcntl record locks are not emulated");
    }

    private static boolean tryLock(Descriptor descriptor, boolean sharedLock) throws IOException {
        try {
            FileLock lock = descriptor.channel.channel.tryLock(LOCK_POSITION, 1, sharedLock);
            descriptor.lock = lock;
            return lock != null;
        } catch (OverlappingFileLockException ex) {
            // Held through another descriptor of this JVM: for flock, that is another holder.
            return false;
        }
    }

    private static void release(Descriptor descriptor) throws IOException {
        FileLock lock = descriptor.lock;
        if (lock != null) {
            descriptor.lock = null;
            lock.release();
        }
    }

    @Override
    public long pread(int fd, byte[] buffer, long count, long offset) {
        Descriptor descriptor = descriptors.get(fd);
        if (descriptor == null || descriptor.channel == null) {
            return fail(EBADF, "descriptor " + fd + " is not an open file");
        }
        try {
            ByteBuffer bytes = ByteBuffer.wrap(buffer, 0, (int) count);
            while (bytes.hasRemaining()) {
                if (descriptor.channel.channel.read(bytes, offset + bytes.position()) < 0) {
                    break;
                }
            }
            return bytes.position();
        } catch (IOException ex) {
            return fail(ex, descriptor.path);
        }
    }

    @Override
    public long pwrite(int fd, byte[] buffer, long count, long offset) {
        Descriptor descriptor = descriptors.get(fd);
        if (descriptor == null || descriptor.channel == null) {
            return fail(EBADF, "descriptor " + fd + " is not an open file");
        }
        try {
            ByteBuffer bytes = ByteBuffer.wrap(buffer, 0, (int) count);
            while (bytes.hasRemaining()) {
                descriptor.channel.channel.write(bytes, offset + bytes.position());
            }
            return bytes.position();
        } catch (IOException ex) {
            return fail(ex, descriptor.path);
        }
    }

    @Override
    public long lseek(int fd, long offset, int whence) {
        Descriptor descriptor = descriptors.get(fd);
        if (descriptor == null || descriptor.channel == null) {
            return fail(EBADF, "descriptor " + fd + " is not an open file");
        }
        if (offset != 0 || whence != SEEK_END) {
            return fail(EINVAL, "only lseek(fd, 0, SEEK_END) is emulated");
        }
        try {
            return descriptor.channel.channel.size();
        } catch (IOException ex) {
            return fail(ex, descriptor.path);
        }
    }

    @Override
    public int ftruncate(int fd, long length) {
        Descriptor descriptor = descriptors.get(fd);
        if (descriptor == null || descriptor.channel == null) {
            return fail(EBADF, "descriptor " + fd + " is not an open file");
        }
        try {
            FileChannel channel = descriptor.channel.channel;
            if (length < channel.size()) {
                channel.truncate(length);
            } else if (length > channel.size()) {
                // FileChannel.truncate never extends; ftruncate fills with zeros.
                channel.write(ByteBuffer.allocate(1), length - 1);
            }
            return 0;
        } catch (IOException ex) {
            return fail(ex, descriptor.path);
        }
    }

    @Override
    public int fchmod(int fd, int mode) {
        Descriptor descriptor = descriptors.get(fd);
        if (descriptor == null) {
            return fail(EBADF, "descriptor " + fd + " is not open");
        }
        if (!POSIX) {
            return 0;
        }
        try {
            Files.getFileAttributeView(descriptor.path, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                    .setPermissions(LockDirectory.permissions(mode));
            return 0;
        } catch (IOException ex) {
            return fail(ex, descriptor.path);
        }
    }

    @Override
    public int fdatasync(int fd) {
        return force(fd, false);
    }

    @Override
    public int fsync(int fd) {
        return force(fd, true);
    }

    private int force(int fd, boolean metadata) {
        Descriptor descriptor = descriptors.get(fd);
        if (descriptor == null) {
            return fail(EBADF, "descriptor " + fd + " is not open");
        }
        try {
            if (descriptor.channel != null) {
                descriptor.channel.channel.force(metadata);
            } else if (!WINDOWS) {
                // A directory: its entries reach the disk through a channel of its own.
                try (FileChannel directory = FileChannel.open(descriptor.path, StandardOpenOption.READ)) {
                    directory.force(true);
                }
            }
            return 0;
        } catch (IOException ex) {
            return fail(ex, descriptor.path);
        }
    }

    @Override
    public int renameat(int oldDirFd, String oldPath, int newDirFd, String newPath) {
        Descriptor from = descriptors.get(oldDirFd);
        Descriptor to = descriptors.get(newDirFd);
        if (from == null || to == null) {
            return fail(EBADF, "directory descriptor " + (from == null ? oldDirFd : newDirFd) + " is not open");
        }
        Path target = to.path.resolve(newPath);
        try {
            Files.move(
                    from.path.resolve(oldPath),
                    target,
                    StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
            return 0;
        } catch (IOException ex) {
            return fail(ex, target);
        }
    }

    @Override
    public int geteuid() {
        return UserIds.EFFECTIVE;
    }

    @Override
    public int errno() {
        return lastFailure.get().errno;
    }

    @Override
    public String describe(int errno) {
        Failure last = lastFailure.get();
        String text = ERRORS.getOrDefault(errno, "Error");
        return (last.errno == errno && !last.detail.isEmpty() ? text + ": " + last.detail : text) + " (errno " + errno
                + ")";
    }

    /**
     * Reads the directory's {@code unix} attributes where the file system has them (Linux, macOS);
     * elsewhere (Windows), or where the JDK cannot tell this process's user ID (a runtime without
     * the {@code jdk.security.auth} module), reports mode -1, "no permission bits": the owner and
     * mode are not checked, and the directory's permissions or ACLs decide.
     */
    @Override
    public DirectoryOwner owner(int dirFd) throws IOException {
        Descriptor descriptor = descriptors.get(dirFd);
        if (descriptor == null) {
            throw new IOException("descriptor " + dirFd + " is not open");
        }
        if (!FileSystems.getDefault().supportedFileAttributeViews().contains("unix") || geteuid() < 0) {
            return new DirectoryOwner(-1, geteuid());
        }
        Map<String, Object> attributes =
                Files.readAttributes(descriptor.path, "unix:mode,uid", LinkOption.NOFOLLOW_LINKS);
        return new DirectoryOwner((Integer) attributes.get("mode") & 0777, (Integer) attributes.get("uid"));
    }

    /** Lists the exclusive locks this JVM holds on lock files of the reader's directory, with this JVM's pid. */
    @Override
    public List<HeldLock> readHeld(HeldLockReader reader, IntFunction<@Nullable String> names) {
        OptionalLong pid = OptionalLong.of(ProcessHandle.current().pid());
        Map<Integer, HeldLock> held = new TreeMap<>();
        for (Descriptor descriptor : descriptors.values()) {
            FileLock lock = descriptor.lock;
            if (lock == null || lock.isShared() || !reader.directory().equals(descriptor.path.getParent())) {
                continue;
            }
            int id = LockDirectory.idOfLockFile(descriptor.path.getFileName().toString());
            if (id >= 0) {
                held.put(id, new HeldLock(id, Optional.ofNullable(names.apply(id)), pid, Optional.empty()));
            }
        }
        return new ArrayList<>(held.values());
    }

    private int fail(int errno, String detail) {
        lastFailure.set(new Failure(errno, detail));
        return -1;
    }

    /** Records an I/O failure as the error number the C library would have set. */
    private int fail(Exception ex, Path file) {
        int errno;
        if (ex instanceof NoSuchFileException) {
            errno = ENOENT;
        } else if (ex instanceof FileAlreadyExistsException) {
            errno = EEXIST;
        } else if (ex instanceof AccessDeniedException) {
            errno = EACCES;
        } else if (ex instanceof ReadOnlyFileSystemException
                || (ex instanceof FileSystemException
                        && String.valueOf(ex.getMessage()).contains("Read-only"))) {
            errno = EROFS;
        } else if (ex instanceof FileSystemException && Files.isSymbolicLink(file)) {
            // O_NOFOLLOW on a link: the JDK reports it as a generic file system error.
            errno = ELOOP;
        } else {
            errno = EIO;
        }
        return fail(errno, ex.getMessage() == null ? ex.getClass().getSimpleName() : ex.getMessage());
    }

    /** An open descriptor: a directory (no channel) or a file. */
    private static final class Descriptor {

        final Path path;

        final @Nullable SharedChannel channel;

        /** The lock taken through this descriptor; volatile, as any thread of the manager may unlock. */
        volatile @Nullable FileLock lock;

        Descriptor(Path path, @Nullable SharedChannel channel) {
            this.path = path;
            this.channel = channel;
        }
    }

    /** A channel and how many descriptors use it; a private one has exactly one. */
    private static final class SharedChannel {

        final Path path;

        final FileChannel channel;

        final boolean registered;

        /** Guarded by the shared-channel map. */
        int users = 1;

        SharedChannel(Path path, FileChannel channel, boolean registered) {
            this.path = path;
            this.channel = channel;
            this.registered = registered;
        }

        void close(Map<Path, SharedChannel> shared) throws IOException {
            if (registered) {
                synchronized (shared) {
                    if (--users > 0) {
                        return;
                    }
                    shared.remove(path);
                }
            }
            channel.close();
        }
    }

    /** A failed call's error number and what the JDK said about it. */
    private record Failure(int errno, String detail) {}

    /** The effective user ID, read once; -1 where the JDK cannot tell (Windows, no {@code jdk.security.auth}). */
    private static final class UserIds {

        static final int EFFECTIVE = read();

        private static int read() {
            try {
                return (int) new com.sun.security.auth.module.UnixSystem().getUid();
            } catch (LinkageError | RuntimeException ex) {
                return -1;
            }
        }
    }
}
