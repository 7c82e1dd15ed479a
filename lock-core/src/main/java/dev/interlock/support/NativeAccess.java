package dev.interlock.support;

import dev.interlock.NativeAccessException;
import org.jspecify.annotations.Nullable;

/**
 * Loads JNA's native part for the backends that call the C library through it, so that a JVM
 * which cannot load it fails with a {@link NativeAccessException} that says why and what to do,
 * before any storage is touched, instead of with an {@link UnsatisfiedLinkError} from the middle
 * of creating a segment or a lock directory.
 *
 * @author Interlock team
 * @since 0.2.0
 */
public final class NativeAccess {

    /**
     * Why the first attempt failed: a class whose initialization failed is not initialized again,
     * and later attempts get only a {@link NoClassDefFoundError} that does not say why.
     */
    private static volatile @Nullable String firstFailure;

    private NativeAccess() {}

    /**
     * Returns whether {@code arch} (an {@code os.arch} value) is x86-64 or AArch64: on Linux, the
     * architectures whose system call numbers, flag values and structure layouts the native
     * backends know.
     *
     * @param arch the architecture, as the {@code os.arch} system property names it
     * @return whether the native backends know it
     */
    public static boolean knownArchitecture(String arch) {
        return arch.equals("amd64") || arch.equals("x86_64") || arch.equals("aarch64");
    }

    /**
     * Loads JNA's native part if this JVM has not done so yet.
     *
     * @param backend what needs it, for the message, for example {@code "The shared-memory lock backend"}
     * @throws NativeAccessException if JNA or its native part cannot be loaded
     */
    public static void requireJna(String backend) {
        try {
            // Initializing Native unpacks its native part (to jna.tmpdir if set, else to a cache
            // directory) and loads it.
            Class.forName("com.sun.jna.Native", true, NativeAccess.class.getClassLoader());
        } catch (ClassNotFoundException | LinkageError ex) {
            String reason = firstFailure;
            if (reason == null) {
                reason = rootCause(ex);
                firstFailure = reason;
            }
            throw new NativeAccessException(
                    backend + " calls the C library through JNA, but JNA's native part could not be loaded ("
                            + reason + "). If the directory JNA unpacked it to (named above, if the error names a"
                            + " file) is mounted noexec, start the JVM with -Djna.tmpdir set to a directory"
                            + " where files may be executed; if the JDK blocks native access, start it with"
                            + " --enable-native-access=ALL-UNNAMED. Or use the file backend with portable locking"
                            + " (interlock.file.portable-locking=true, or"
                            + " FileLockManager.Options.withPortableLocking(true), in every process that shares"
                            + " the lock directory), which needs no native code.",
                    ex);
        }
    }

    private static String rootCause(Throwable failure) {
        Throwable root = failure;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root == failure ? failure.toString() : failure + ", caused by " + root;
    }
}
