package dev.interlock.spring.autoconfigure;

import dev.interlock.NativeAccessException;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * Reports a backend that calls the C library through JNA (shm, and file with native locking) in a
 * JVM that cannot load JNA's native part, with the settings that get it loaded and the
 * configurations that need no native code.
 *
 * @author Interlock team
 */
final class NativeAccessFailureAnalyzer extends AbstractFailureAnalyzer<NativeAccessException> {

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, NativeAccessException cause) {
        Throwable reason = cause.getCause();
        String description = "Interlock cannot start its lock backend: it calls the C library through JNA, whose"
                + " native part could not be loaded" + (reason != null ? " (" + reason + ")." : ".");
        String action = "Let JNA load: start the JVM with -Djna.tmpdir pointing at a directory where files may be"
                + " executed if the temporary directory is mounted noexec, or with"
                + " --enable-native-access=ALL-UNNAMED if the JDK blocks native access. Or do without native code:"
                + " set interlock.backend=file and interlock.file.portable-locking=true (in every process that"
                + " shares the lock directory), or interlock.backend=memory for locks within this JVM only.";
        return new FailureAnalysis(description, action, cause);
    }
}
