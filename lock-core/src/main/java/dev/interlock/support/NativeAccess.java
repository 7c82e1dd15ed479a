package dev.interlock.support;

import dev.interlock.NativeAccessException;

/**
 * Loads JNA's native part for the backends that call the C library through it, so that a JVM
 * which cannot load it fails with a {@link NativeAccessException} that says why and what to do,
 * before any storage is touched, instead of with an {@link UnsatisfiedLinkError} from the middle
 * of creating a segment or a lock directory.
 *
 * @author Interlock team
 */
public final class NativeAccess {

    private NativeAccess() {}

    /**
     * Loads JNA's native part if this JVM has not done so yet.
     *
     * @param backend what needs it, for the message, for example {@code "The shared-memory lock backend"}
     * @param alternative the way to do without native code, for the message
     * @throws NativeAccessException if JNA or its native part cannot be loaded
     */
    public static void requireJna(String backend, String alternative) {
        try {
            // Initializing Native loads its native part (it unpacks it to jna.tmpdir first).
            Class.forName("com.sun.jna.Native", true, NativeAccess.class.getClassLoader());
        } catch (ClassNotFoundException | LinkageError ex) {
            throw new NativeAccessException(
                    backend + " calls the C library through JNA, but JNA's native part could not be loaded ("
                            + ex + "). If the directory JNA unpacks it to ("
                            + System.getProperty("jna.tmpdir", System.getProperty("java.io.tmpdir"))
                            + ", from jna.tmpdir, else java.io.tmpdir) is mounted noexec, start the JVM with"
                            + " -Djna.tmpdir set to a directory where files may be executed; if the JDK blocks native access, start it"
                            + " with --enable-native-access=ALL-UNNAMED; if JNA itself is missing, add"
                            + " net.java.dev.jna:jna to the class path. " + alternative,
                    ex);
        }
    }
}
