package dev.interlock.file;

import static dev.interlock.file.Libc.AT_FDCWD;
import static dev.interlock.file.Libc.EACCES;
import static dev.interlock.file.Libc.EEXIST;
import static dev.interlock.file.Libc.ELOOP;
import static dev.interlock.file.Libc.ENOENT;
import static dev.interlock.file.Libc.EPERM;
import static dev.interlock.file.Libc.EROFS;
import static dev.interlock.file.Libc.LOCK_EX;
import static dev.interlock.file.Libc.LOCK_SH;
import static dev.interlock.file.Libc.LOCK_UN;
import static dev.interlock.file.Libc.O_CLOEXEC;
import static dev.interlock.file.Libc.O_CREAT;
import static dev.interlock.file.Libc.O_DIRECTORY;
import static dev.interlock.file.Libc.O_EXCL;
import static dev.interlock.file.Libc.O_NOFOLLOW;
import static dev.interlock.file.Libc.O_RDONLY;
import static dev.interlock.file.Libc.O_RDWR;
import static dev.interlock.file.Libc.O_TRUNC;
import static dev.interlock.file.Libc.O_WRONLY;
import static dev.interlock.file.Libc.SEEK_END;

import dev.interlock.LockStorageAccessException;
import dev.interlock.LockStorageException;
import dev.interlock.ManagerClosedException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/**
 * A lock directory: the one place that knows its on-disk layout (file names, the format file,
 * permissions) and opens files in it. See {@code docs/file-layout.md} for the format.
 *
 * <p>The directory is opened once as a descriptor, and every file in it is opened relative to that
 * descriptor with {@code O_NOFOLLOW}: renaming or replacing the directory path after opening does
 * not redirect the manager, and a symbolic link planted in place of any file makes the operation
 * fail instead of following it.
 *
 * @author Interlock team
 */
final class LockDirectory implements AutoCloseable {

    /** The format file: its presence and first line mark a directory as ours. */
    static final String FORMAT_FILE = "interlock-format";

    /** The allocation bitmap, whose {@code flock} is also the directory-wide lock. */
    static final String ALLOCATION_FILE = "allocation";

    /** The name table, one {@code id TAB name} line per bound name. */
    static final String NAMES_FILE = "names";

    /** The futex words through which a release wakes the waiters of other processes ({@link WakeTable}). */
    static final String WAKE_FILE = "wake";

    static final String LOCK_FILE_SUFFIX = ".lock";

    static final String MAGIC = "interlock-file-lock-directory";

    static final int VERSION = 1;

    private static final String TEMP_SUFFIX = ".tmp";

    /** What an interrupted initialization may leave behind; anything else makes a directory foreign. */
    private static final Set<String> INITIALIZATION_FILES =
            Set.of(ALLOCATION_FILE, NAMES_FILE, NAMES_FILE + TEMP_SUFFIX, FORMAT_FILE + TEMP_SUFFIX);

    /** File system types on which {@code flock} does not have its local semantics. */
    private static final Set<String> NETWORK_FILE_SYSTEMS = Set.of("nfs", "nfs4", "cifs", "smb3", "smbfs");

    /** How a factory method treats the directory. */
    enum OpenMode {
        CREATE,
        OPEN,
        OPEN_OR_CREATE
    }

    private final Path path;

    private final FileLockManager.Options options;

    private final int dirFd;

    /** The calls this directory is used through: {@code flock} and JNA, or the JDK's file locks. */
    private final FileCalls calls;

    /**
     * Serializes this manager's threads around the descriptors (a {@code ReentrantLock}, not a
     * monitor: holders block in {@code flock}, {@code openat} and {@code fdatasync}, and threads
     * waiting for a monitor pin their carrier on JDK 21 to 23 when they are virtual).
     */
    private final ReentrantLock mutex = new ReentrantLock();

    /**
     * Set by {@link #close()}; every use of the descriptor checks it under {@link #mutex},
     * so a racing call can never use the number after it was closed and reused for another file.
     */
    private boolean closed;

    private LockDirectory(Path path, FileLockManager.Options options, FileCalls calls, int dirFd) {
        this.path = path;
        this.options = options;
        this.calls = calls;
        this.dirFd = dirFd;
    }

    private int dirFd() {
        if (closed) {
            throw new ManagerClosedException("FileLockManager(" + path + ")");
        }
        return dirFd;
    }

    /**
     * Creates and/or opens the lock directory at {@code path}, checking its type, owner,
     * permissions and format, and initializing it when it is new.
     *
     * <p>The directory is opened first ({@code O_DIRECTORY | O_NOFOLLOW}), and its owner and mode
     * are read from that descriptor and set through it ({@code fchmod}), so the checks concern the
     * very directory used and no symbolic link is ever followed, even one planted between the
     * {@code mkdir} and the open. The path is only inspected to explain why it could not be opened.
     */
    static LockDirectory open(Path path, FileLockManager.Options options, OpenMode mode) {
        FileCalls calls = FileCalls.of(options);
        Path absolute = path.toAbsolutePath();
        boolean created = mode != OpenMode.OPEN && createDirectory(absolute, options, mode, calls);
        int dirFd = calls.openat(AT_FDCWD, absolute.toString(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
        if (dirFd < 0) {
            int errno = calls.errno();
            explainUnopenable(absolute, calls);
            throw failure(calls, errno, absolute, "open the lock directory", "read and execute");
        }
        LockDirectory directory = new LockDirectory(absolute, options, calls, dirFd);
        try {
            int permissions = directory.checkOwner(created, mode);
            checkFileSystem(absolute, fileSystemType(absolute));
            directory.checkWritable();
            directory.ensureFormat(mode);
            // After the format check, so that a foreign directory is called that, not "too open".
            directory.checkMode(permissions);
            return directory;
        } catch (RuntimeException ex) {
            directory.close();
            throw ex;
        }
    }

    /** Makes the directory; returns whether this call created it. */
    private static boolean createDirectory(Path path, FileLockManager.Options options, OpenMode mode, FileCalls calls) {
        try {
            // The mode is narrowed by the umask here, and set exactly through the descriptor later.
            if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
                Files.createDirectory(path, PosixFilePermissions.asFileAttribute(options.directoryMode()));
            } else {
                Files.createDirectory(path);
            }
            return true;
        } catch (FileAlreadyExistsException ex) {
            if (mode == OpenMode.CREATE) {
                throw new LockStorageException(
                        path.toString(),
                        "Cannot create lock directory " + path + ": it already exists; use"
                                + " FileLockManager.open(dir) to use it, or pass a path that does not exist yet");
            }
            return false;
        } catch (NoSuchFileException ex) {
            throw new LockStorageException(
                    path.toString(),
                    "Cannot create lock directory " + path + ": its parent directory " + path.getParent()
                            + " does not exist; create the parent first",
                    ex);
        } catch (AccessDeniedException ex) {
            throw new LockStorageAccessException(
                    path.toString(),
                    "Cannot create lock directory " + path + ": permission denied; the user (uid " + calls.geteuid()
                            + ") needs write permission on " + path.getParent(),
                    ex);
        } catch (IOException ex) {
            throw new LockStorageException(path.toString(), "Cannot create lock directory " + path + ": " + ex, ex);
        }
    }

    /**
     * Throws the specific reason why {@code path} could not be opened as a directory, if the path
     * shows one (missing, a symbolic link, not a directory, parent not searchable); returns when
     * it shows none, and the caller reports the error number.
     */
    private static void explainUnopenable(Path path, FileCalls calls) {
        BasicFileAttributes attributes;
        try {
            attributes = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException ex) {
            throw new LockStorageException(
                    path.toString(),
                    "Lock directory " + path + " does not exist; create it with FileLockManager.create(dir) or"
                            + " FileLockManager.openOrCreate(dir)",
                    ex);
        } catch (AccessDeniedException ex) {
            throw new LockStorageAccessException(
                    path.toString(),
                    "Cannot inspect lock directory " + path + ": permission denied; the user (uid " + calls.geteuid()
                            + ") needs execute (search) permission on " + path.getParent(),
                    ex);
        } catch (IOException ex) {
            throw new LockStorageException(path.toString(), "Cannot inspect lock directory " + path + ": " + ex, ex);
        }
        if (attributes.isSymbolicLink()) {
            throw new LockStorageException(
                    path.toString(),
                    "Lock directory " + path + " is a symbolic link; Interlock never follows symbolic links in lock"
                            + " storage: pass the real directory path instead");
        }
        if (!attributes.isDirectory()) {
            throw new LockStorageException(
                    path.toString(),
                    "Lock directory " + path + " is a file, not a directory; remove it or choose another path");
        }
    }

    /**
     * Checks the owner of the opened directory (read from the descriptor, see {@link
     * FileCalls#owner}). A
     * directory this call created, or one of ours that holds nothing but what an initialization
     * leaves and that this call is about to initialize, gets the configured mode through the
     * descriptor ({@code fchmod}, which never follows a link).
     *
     * <p>Where the file system has no permission bits (Windows, see {@link PortableFileCalls}), the
     * directory's ACLs decide and nothing is checked.
     *
     * @return the directory's permission bits, as they are now
     */
    private int checkOwner(boolean created, OpenMode mode) {
        FileCalls.DirectoryOwner attributes;
        try {
            attributes = calls.owner(dirFd);
        } catch (IOException ex) {
            throw new LockStorageException(path.toString(), "Cannot inspect lock directory " + path + ": " + ex, ex);
        }
        if (attributes.mode() < 0) {
            return options.directoryModeBits();
        }
        int permissions = attributes.mode();
        int owner = attributes.uid();
        int me = calls.geteuid();
        if (owner != me && !options.allowForeignOwner()) {
            throw new LockStorageAccessException(
                    path.toString(),
                    "Lock directory " + path + " belongs to uid " + owner + ", not to this user (uid " + me
                            + "), who could then hold or corrupt every lock; use a directory of your own, or"
                            + " Options.withAllowForeignOwner(true) for a directory shared on purpose");
        }
        boolean initializing = created
                || (mode != OpenMode.OPEN
                        && readFile(FORMAT_FILE, 0) == null
                        && INITIALIZATION_FILES.containsAll(entries()));
        if (owner == me && initializing && permissions != options.directoryModeBits()) {
            if (calls.fchmod(dirFd, options.directoryModeBits()) != 0) {
                throw failure(calls.errno(), path, "set the mode of", "owner");
            }
            return options.directoryModeBits();
        }
        return permissions;
    }

    /**
     * Refuses a directory that grants group or others any access beyond the configured mode,
     * unless foreign storage is allowed.
     */
    private void checkMode(int permissions) {
        // Any access counts, read included: flock works on a read-only descriptor, so a user who
        // can open a lock file or the allocation file can hold or block every lock.
        int beyondMode = permissions & 0077 & ~options.directoryModeBits();
        if (beyondMode != 0 && !options.allowForeignOwner()) {
            String who = (beyondMode & 0007) != 0 ? "every user" : "its group";
            int whoBits = (beyondMode & 0007) != 0 ? beyondMode & 0007 : beyondMode >> 3;
            String access = (whoBits & 2) != 0 ? "write to it" : (whoBits & 4) != 0 ? "read it" : "enter it";
            throw new LockStorageAccessException(
                    path.toString(),
                    "Lock directory " + path + " has mode " + symbolic(permissions) + ", so " + who + " can "
                            + access + ", which the configured file mode " + symbolic(options.fileModeBits())
                            + " does not grant; any access, even read-only, lets other users hold or block every"
                            + " lock (flock works on a read-only descriptor), and write access lets them corrupt"
                            + " them; run chmod " + Integer.toOctalString(permissions & ~beyondMode) + " " + path
                            + ", share it on purpose with Options.withMode(rw-rw----), or accept it with"
                            + " Options.withAllowForeignOwner(true)");
        }
    }

    private static String fileSystemType(Path path) {
        try {
            return Files.getFileStore(path).type();
        } catch (IOException ex) {
            throw new LockStorageException(
                    path.toString(), "Cannot read the file system type of lock directory " + path + ": " + ex, ex);
        }
    }

    /**
     * Refuses network file systems, where Linux emulates {@code flock} with POSIX record locks:
     * those belong to the process, so two managers of one JVM would not exclude each other and
     * closing an idle descriptor would drop a lock held through another.
     */
    static void checkFileSystem(Path path, String type) {
        if (NETWORK_FILE_SYSTEMS.contains(type)) {
            throw new LockStorageException(
                    path.toString(),
                    "Lock directory " + path + " is on a " + type + " file system, where flock is emulated with"
                            + " per-process POSIX locks that cannot keep managers of one JVM apart; put the lock"
                            + " directory on a local file system (for example under /run or /var/lib)");
        }
    }

    private void checkWritable() {
        if (!Files.isWritable(path)) {
            throw new LockStorageAccessException(
                    path.toString(),
                    "Lock directory " + path + " is not writable by this user (uid " + calls.geteuid()
                            + "): lock files are created in it on first use, so it needs write permission"
                            + " (or the file system is read-only); fix its permissions");
        }
    }

    private void ensureFormat(OpenMode mode) {
        if (readFormat()) {
            return;
        }
        Set<String> entries = entries();
        Set<String> foreign = new TreeSet<>(entries);
        foreign.removeAll(INITIALIZATION_FILES);
        if (!foreign.isEmpty()) {
            throw notOurs("it holds files that are not Interlock's, such as '"
                    + foreign.iterator().next() + "' (" + foreign.size() + " in all)");
        }
        if (mode == OpenMode.OPEN && !entries.contains(ALLOCATION_FILE)) {
            throw notOurs((entries.isEmpty() ? "it is empty" : "it has no " + ALLOCATION_FILE + " file")
                    + "; open it with openOrCreate(dir) to make it one");
        }
        // Empty, or left by an initialization that is running or died: decide under the directory lock.
        int fd = openFile(ALLOCATION_FILE, O_RDWR | (mode == OpenMode.OPEN ? 0 : O_CREAT));
        try {
            lockExclusively(fd, ALLOCATION_FILE);
            try {
                if (readFormat()) {
                    return;
                }
                if (mode == OpenMode.OPEN) {
                    throw notOurs("its initialization was interrupted before the " + FORMAT_FILE
                            + " file was written; open it with openOrCreate(dir) to finish it");
                }
                AllocationTable.initialize(this, fd);
                sync(fd, ALLOCATION_FILE);
                replaceFile(NAMES_FILE, new byte[0]);
                // Published last: a directory with a format file is complete. replaceFile makes it
                // durable (file, then directory entry), and the parent's entry of this directory
                // is synced too, so that a power loss never brings back an empty marker or none.
                replaceFile(FORMAT_FILE, (MAGIC + "\nversion " + VERSION + "\n").getBytes(StandardCharsets.US_ASCII));
                syncParent();
            } finally {
                calls.flock(fd, LOCK_UN);
            }
        } finally {
            calls.close(fd);
        }
    }

    /**
     * Maps the wake file, in native mode, creating it (4,096 zero bytes) if the directory has none
     * yet; the portable calls poll instead and never touch it. It is created on first use rather
     * than at initialization so that a directory made by an earlier build, which has none, gets it
     * without a format change: a process of that build neither wakes nor sleeps on it, so beside it
     * a waiter of this one notices a release within its 1 ms slice, as that build's waiters do.
     * Nothing in it is durable state, so it is never flushed.
     *
     * @return the mapped table, or null in portable mode
     */
    @Nullable
    WakeTable wakeTable() {
        if (calls.portable()) {
            return null;
        }
        int fd = openOrCreateFile(WAKE_FILE);
        try {
            // Two first users may both see it empty; both then set the same size.
            if (calls.lseek(fd, 0, SEEK_END) == 0 && calls.ftruncate(fd, WakeTable.SIZE) != 0) {
                throw failure(calls.errno(), path.resolve(WAKE_FILE), "set the size of", "write");
            }
            return WakeTable.map(path.resolve(WAKE_FILE), fd);
        } finally {
            calls.close(fd);
        }
    }

    /** Returns whether a valid format file exists; throws if one exists but is not ours. */
    private boolean readFormat() {
        byte @Nullable [] content = readFile(FORMAT_FILE, 0);
        if (content == null) {
            return false;
        }
        String[] lines = new String(content, StandardCharsets.US_ASCII).split("\n", -1);
        if (!lines[0].equals(MAGIC)) {
            throw notOurs("its " + FORMAT_FILE + " file does not start with '" + MAGIC + "'");
        }
        String expected = "version " + VERSION;
        if (lines.length < 2 || !lines[1].equals(expected)) {
            throw new LockStorageException(
                    path.toString(),
                    "Lock directory " + path + " has format '" + (lines.length < 2 ? "" : lines[1])
                            + "', but this Interlock version reads only '" + expected
                            + "'; use the Interlock version that created it, or a new directory");
        }
        return true;
    }

    private LockStorageException notOurs(String why) {
        return new LockStorageException(
                path.toString(),
                "Directory " + path + " is not an Interlock lock directory: " + why
                        + "; Interlock does not write into foreign directories: pass a new or empty directory,"
                        + " or one made by FileLockManager.create(dir)");
    }

    private Set<String> entries() {
        try (Stream<Path> list = Files.list(path)) {
            Set<String> names = new TreeSet<>();
            list.forEach(entry -> names.add(entry.getFileName().toString()));
            return names;
        } catch (IOException ex) {
            throw new LockStorageException(path.toString(), "Cannot list lock directory " + path + ": " + ex, ex);
        }
    }

    /** Returns the directory's path, absolute. */
    Path path() {
        return path;
    }

    /** Returns the calls the directory is used through. */
    FileCalls calls() {
        return calls;
    }

    /** Returns the file name of lock {@code id}. */
    static String lockFileName(int id) {
        return id + LOCK_FILE_SUFFIX;
    }

    /**
     * Returns the ID a lock file name stands for, or -1 if the name is not a lock file's.
     *
     * @param fileName a file name in the directory
     * @return the ID or -1
     */
    static int idOfLockFile(String fileName) {
        if (!fileName.endsWith(LOCK_FILE_SUFFIX)) {
            return -1;
        }
        try {
            int id = Integer.parseInt(fileName.substring(0, fileName.length() - LOCK_FILE_SUFFIX.length()));
            return id >= 0 && lockFileName(id).equals(fileName) ? id : -1;
        } catch (NumberFormatException ex) {
            return -1;
        }
    }

    /**
     * Opens the lock file of {@code id} for locking, creating it with the configured mode on first
     * use. Lock files are never deleted, so every process that ever locks ID {@code id} locks this
     * same file.
     *
     * @return the descriptor
     */
    int openLockFile(int id) {
        return openOrCreateFile(lockFileName(id));
    }

    /**
     * Opens a file of the directory for reading and writing, creating it with the configured mode
     * if it is missing ({@code O_EXCL}, so that only its creator sets the mode: a file that
     * another user created keeps theirs).
     */
    private int openOrCreateFile(String name) {
        mutex.lock();
        try {
            while (true) {
                int fd = calls.openat(dirFd(), name, O_RDWR | O_NOFOLLOW | O_CLOEXEC, 0);
                if (fd >= 0) {
                    return fd;
                }
                int errno = calls.errno();
                if (errno != ENOENT) {
                    throw failure(errno, path.resolve(name), "open", "read and write");
                }
                fd = calls.openat(
                        dirFd(), name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, options.fileModeBits());
                if (fd >= 0) {
                    setMode(fd, name);
                    return fd;
                }
                errno = calls.errno();
                if (errno != EEXIST) {
                    throw failure(errno, path.resolve(name), "create", "write");
                }
                // Another process created it between our two calls: open it as it is.
            }
        } finally {
            mutex.unlock();
        }
    }

    /** Opens a file of the directory with {@code O_NOFOLLOW | O_CLOEXEC} and the configured mode. */
    int openFile(String name, int flags) {
        mutex.lock();
        try {
            int fd = calls.openat(dirFd(), name, flags | O_NOFOLLOW | O_CLOEXEC, options.fileModeBits());
            if (fd < 0) {
                throw failure(
                        calls.errno(), path.resolve(name), "open", (flags & O_RDWR) != 0 ? "read and write" : "read");
            }
            if ((flags & O_CREAT) != 0) {
                setMode(fd, name);
            }
            return fd;
        } finally {
            mutex.unlock();
        }
    }

    /** Sets a new file's mode explicitly: the mode passed to {@code open} is narrowed by the umask. */
    private void setMode(int fd, String name) {
        if (calls.fchmod(fd, options.fileModeBits()) != 0) {
            int errno = calls.errno();
            calls.close(fd);
            throw failure(errno, path.resolve(name), "set the mode of", "owner");
        }
    }

    /**
     * Reads a file of the directory from {@code offset} to its end.
     *
     * @return the bytes, or null if the file does not exist
     */
    byte @Nullable [] readFile(String name, long offset) {
        mutex.lock();
        try {
            int fd = calls.openat(dirFd(), name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC, 0);
            if (fd < 0) {
                int errno = calls.errno();
                if (errno == ENOENT) {
                    return null;
                }
                throw failure(errno, path.resolve(name), "open", "read");
            }
            try {
                long size = calls.lseek(fd, 0, SEEK_END);
                if (size < 0) {
                    throw failure(calls.errno(), path.resolve(name), "read", "read");
                }
                if (size - offset > Integer.MAX_VALUE - 8) {
                    throw new LockStorageException(
                            path.resolve(name).toString(),
                            "Cannot read " + path.resolve(name) + ": it has grown to " + size + " bytes, more than"
                                    + " Interlock ever writes; it is not Interlock's or corrupt, restore or remove it");
                }
                byte[] content = new byte[(int) Math.max(0, size - offset)];
                readFully(fd, content, offset, path.resolve(name));
                return content;
            } finally {
                calls.close(fd);
            }
        } finally {
            mutex.unlock();
        }
    }

    /**
     * Writes {@code content} at {@code offset} of an existing file and cuts the file off after it,
     * dropping whatever a crashed writer left beyond. Callers hold the directory lock.
     */
    void writeAndTruncate(String name, byte[] content, long offset) {
        mutex.lock();
        try {
            int fd = openFile(name, O_WRONLY);
            try {
                writeFully(fd, content, offset, path.resolve(name));
                if (calls.ftruncate(fd, offset + content.length) != 0) {
                    throw failure(calls.errno(), path.resolve(name), "truncate", "write");
                }
                sync(fd, name);
            } finally {
                calls.close(fd);
            }
        } finally {
            mutex.unlock();
        }
    }

    /**
     * Replaces a file of the directory atomically (write a temporary file, then rename it over the
     * old one), so a reader sees the old or the new content, never a mix. Callers hold the
     * directory lock, which also keeps the temporary name private to them.
     */
    void replaceFile(String name, byte[] content) {
        mutex.lock();
        try {
            String temp = name + TEMP_SUFFIX;
            int fd = openFile(temp, O_WRONLY | O_CREAT | O_TRUNC);
            try {
                writeFully(fd, content, 0, path.resolve(temp));
                // The content must be on disk before the rename is: otherwise a power loss can leave
                // the new name pointing to an empty file.
                sync(fd, temp);
            } finally {
                calls.close(fd);
            }
            if (calls.renameat(dirFd(), temp, dirFd(), name) != 0) {
                throw failure(calls.errno(), path.resolve(name), "replace", "write");
            }
            syncDirectory();
        } finally {
            mutex.unlock();
        }
    }

    /**
     * Flushes a file's data (and the size, which {@code fdatasync} includes) to disk; called
     * before a change is acknowledged, or before a later step that depends on it.
     */
    void sync(int fd, String name) {
        if (calls.fdatasync(fd) != 0) {
            throw failure(calls.errno(), path.resolve(name), "flush to disk", "write");
        }
        CrashPoints.reached("sync:" + name);
    }

    /** Flushes the directory's entries (new and renamed files) to disk. */
    void syncDirectory() {
        mutex.lock();
        try {
            if (calls.fsync(dirFd()) != 0) {
                throw failure(calls.errno(), path, "flush the entries of", "read");
            }
            CrashPoints.reached("sync:directory");
        } finally {
            mutex.unlock();
        }
    }

    /** Flushes the parent's entry of this directory to disk, once, after initialization. */
    private void syncParent() {
        int parent = calls.openat(dirFd(), "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
        if (parent < 0) {
            throw failure(calls.errno(), path.getParent(), "open", "read");
        }
        try {
            if (calls.fsync(parent) != 0) {
                throw failure(calls.errno(), path.getParent(), "flush the entries of", "read");
            }
        } finally {
            calls.close(parent);
        }
        CrashPoints.reached("sync:parent");
    }

    /** Takes the {@code flock} of {@code fd} exclusively, waiting as long as it takes (the holders' work is short). */
    void lockExclusively(int fd, String name) {
        flock(fd, name, LOCK_EX);
    }

    /**
     * Takes the {@code flock} of {@code fd} shared, for readers that only exclude writers, waiting
     * as long as it takes (the writers' work is short).
     */
    void lockShared(int fd, String name) {
        flock(fd, name, LOCK_SH);
    }

    private void flock(int fd, String name, int operation) {
        while (calls.flock(fd, operation) != 0) {
            int errno = calls.errno();
            if (errno != Libc.EINTR) {
                throw failure(errno, path.resolve(name), "lock", "read");
            }
        }
    }

    /**
     * Reads {@code buffer.length} bytes at {@code offset}; bytes beyond the end of the file read as
     * 0. A regular file returns fewer bytes than asked only at its end.
     */
    void readFully(int fd, byte[] buffer, long offset, Path file) {
        long read;
        do {
            read = calls.pread(fd, buffer, buffer.length, offset);
        } while (read < 0 && calls.errno() == Libc.EINTR);
        if (read < 0) {
            throw failure(calls.errno(), file, "read", "read");
        }
        Arrays.fill(buffer, (int) read, buffer.length, (byte) 0);
    }

    /** Writes all of {@code buffer} at {@code offset}; a regular file writes less only when the disk is full. */
    void writeFully(int fd, byte[] buffer, long offset, Path file) {
        long written;
        do {
            written = calls.pwrite(fd, buffer, buffer.length, offset);
        } while (written < 0 && calls.errno() == Libc.EINTR);
        if (written < 0) {
            throw failure(calls.errno(), file, "write", "write");
        }
        if (written != buffer.length) {
            throw new LockStorageException(
                    file.toString(),
                    "Cannot write " + file + ": only " + written + " of " + buffer.length
                            + " bytes were written; the file system is probably full, free some space");
        }
    }

    /**
     * Translates a failed call into an exception naming the file, what was attempted, and the
     * permission that would be needed.
     */
    LockStorageException failure(int errno, Path file, String action, String permission) {
        return failure(calls, errno, file, action, permission);
    }

    private static LockStorageException failure(
            FileCalls calls, int errno, Path file, String action, String permission) {
        String location = file.toString();
        String prefix = "Cannot " + action + " " + file + ": " + calls.describe(errno);
        switch (errno) {
            case EACCES:
            case EPERM:
                return new LockStorageAccessException(
                        location,
                        prefix + "; the user (uid " + calls.geteuid() + ") needs " + permission
                                + " permission on it and execute permission on its directory; fix the permissions"
                                + " or run as the directory's owner");
            case EROFS:
                return new LockStorageAccessException(
                        location, prefix + "; lock storage must be on a writable file system");
            case ELOOP:
                return new LockStorageException(
                        location,
                        prefix + ": it is a symbolic link, and Interlock never follows symbolic links in a lock"
                                + " directory; remove the link (lock files are recreated on demand)");
            default:
                return new LockStorageException(location, prefix);
        }
    }

    static String symbolic(int permissions) {
        return PosixFilePermissions.toString(permissions(permissions));
    }

    /** The permission bits of a mode ({@code 0777} at most) as a set. */
    static Set<PosixFilePermission> permissions(int mode) {
        Set<PosixFilePermission> set = EnumSet.noneOf(PosixFilePermission.class);
        PosixFilePermission[] all = PosixFilePermission.values();
        for (int i = 0; i < all.length; i++) {
            if ((mode & (0400 >> i)) != 0) {
                set.add(all[i]);
            }
        }
        return set;
    }

    @Override
    public void close() {
        mutex.lock();
        try {
            if (!closed) {
                closed = true;
                calls.close(dirFd);
            }
        } finally {
            mutex.unlock();
        }
    }

    @Override
    public String toString() {
        return path.toString();
    }
}
