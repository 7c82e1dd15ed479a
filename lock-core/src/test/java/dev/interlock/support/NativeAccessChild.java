package dev.interlock.support;

import dev.interlock.Locker;
import dev.interlock.NativeAccessException;
import dev.interlock.file.FileLockManager;
import dev.interlock.shm.SHMLockManager;
import java.nio.file.Path;

/**
 * Child-JVM main for {@link NativeAccessTests}, started where JNA cannot load its native part:
 * opens an SHM segment ({@code args[0]}), a lock directory with native locking ({@code args[1]})
 * and one with portable locking ({@code args[2]}), and prints one line per attempt: {@code
 * <what> REFUSED <message>} for a {@link NativeAccessException}, {@code <what> LOCKED} when a
 * lock could be taken and released.
 *
 * @author Interlock team
 */
public final class NativeAccessChild {

    private NativeAccessChild() {}

    /**
     * Runs the child.
     *
     * @param args the segment's name, the native directory, the portable directory
     */
    public static void main(String[] args) {
        try (SHMLockManager manager = SHMLockManager.create(args[0], 64)) {
            lockOnce("shm", manager.allocateLock());
        } catch (NativeAccessException ex) {
            System.out.println("shm REFUSED " + ex.getMessage());
        }
        try (FileLockManager manager = FileLockManager.openOrCreate(Path.of(args[1]))) {
            lockOnce("file", manager.allocateLock());
        } catch (NativeAccessException ex) {
            System.out.println("file REFUSED " + ex.getMessage());
        }
        FileLockManager.Options portable = FileLockManager.Options.defaults().withPortableLocking(true);
        try (FileLockManager manager = FileLockManager.openOrCreate(Path.of(args[2]), portable)) {
            lockOnce("portable", manager.allocateLock());
        }
    }

    private static void lockOnce(String what, Locker locker) {
        locker.lock();
        locker.unlock();
        System.out.println(what + " LOCKED");
    }
}
