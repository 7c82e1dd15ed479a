package dev.interlock.file;

import dev.interlock.HeldLock;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;
import org.jspecify.annotations.Nullable;

/**
 * The file backend's calls on Linux: those of {@link Libc.Calls}, unchanged, so a lock is an
 * {@code flock(2)} that belongs to its open file description (two managers of one JVM exclude each
 * other, and closing one descriptor never drops a lock taken through another).
 *
 * @author Interlock team
 */
final class NativeFileCalls implements FileCalls {

    static final NativeFileCalls INSTANCE = new NativeFileCalls();

    private NativeFileCalls() {}

    @Override
    public boolean portable() {
        return false;
    }

    @Override
    public int openat(int dirFd, String path, int flags, int mode) {
        return Libc.Calls.openat(dirFd, path, flags, mode);
    }

    @Override
    public int close(int fd) {
        return Libc.Calls.close(fd);
    }

    @Override
    public int flock(int fd, int operation) {
        return Libc.Calls.flock(fd, operation);
    }

    @Override
    public int fcntl(int fd, int command, long[] flock) {
        return Libc.Calls.fcntl(fd, command, flock);
    }

    @Override
    public long pread(int fd, byte[] buffer, long count, long offset) {
        return Libc.Calls.pread(fd, buffer, count, offset);
    }

    @Override
    public long pwrite(int fd, byte[] buffer, long count, long offset) {
        return Libc.Calls.pwrite(fd, buffer, count, offset);
    }

    @Override
    public long lseek(int fd, long offset, int whence) {
        return Libc.Calls.lseek(fd, offset, whence);
    }

    @Override
    public int ftruncate(int fd, long length) {
        return Libc.Calls.ftruncate(fd, length);
    }

    @Override
    public int fchmod(int fd, int mode) {
        return Libc.Calls.fchmod(fd, mode);
    }

    @Override
    public int fdatasync(int fd) {
        return Libc.Calls.fdatasync(fd);
    }

    @Override
    public int fsync(int fd) {
        return Libc.Calls.fsync(fd);
    }

    @Override
    public int renameat(int oldDirFd, String oldPath, int newDirFd, String newPath) {
        return Libc.Calls.renameat(oldDirFd, oldPath, newDirFd, newPath);
    }

    @Override
    public int geteuid() {
        return Libc.Calls.geteuid();
    }

    @Override
    public int errno() {
        return Libc.Calls.errno();
    }

    @Override
    public String describe(int errno) {
        return Libc.Calls.describe(errno);
    }

    /** An {@code fstat} of the descriptor, through {@code /proc/self/fd}. */
    @Override
    public DirectoryOwner owner(int dirFd) throws IOException {
        Map<String, Object> attributes = Files.readAttributes(Path.of("/proc/self/fd/" + dirFd), "unix:mode,uid");
        return new DirectoryOwner((Integer) attributes.get("mode") & 0777, (Integer) attributes.get("uid"));
    }

    @Override
    public List<HeldLock> readHeld(HeldLockReader reader, IntFunction<@Nullable String> names) {
        return reader.read(names);
    }

    @Override
    public String toString() {
        return "flock";
    }
}
