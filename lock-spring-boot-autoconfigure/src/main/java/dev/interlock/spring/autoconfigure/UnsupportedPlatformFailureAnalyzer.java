package dev.interlock.spring.autoconfigure;

import org.jspecify.annotations.Nullable;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * Reports a multiprocess backend that cannot run on this platform (the shared-memory backend
 * needs Linux on x86-64 or AArch64), with the backend that runs here.
 *
 * @author Interlock team
 */
final class UnsupportedPlatformFailureAnalyzer extends AbstractFailureAnalyzer<UnsupportedOperationException> {

    @Override
    protected @Nullable FailureAnalysis analyze(Throwable rootFailure, UnsupportedOperationException cause) {
        StackTraceElement[] trace = cause.getStackTrace();
        // Only a backend's own refusal: other code throws UnsupportedOperationException for other reasons.
        if (trace.length == 0 || !isBackendClass(trace[0].getClassName())) {
            return null;
        }
        String description = "The configured Interlock backend cannot run on " + System.getProperty("os.name") + " ("
                + System.getProperty("os.arch") + "): " + cause.getMessage();
        String action = "Set interlock.backend=file (the default off Linux): its lock files coordinate the"
                + " processes of this host on any platform. Or run the application on Linux (x86-64 or AArch64) for"
                + " the shm backend, or set interlock.backend=memory for locks shared by the threads of this JVM only.";
        return new FailureAnalysis(description, action, cause);
    }

    private static boolean isBackendClass(String className) {
        return className.startsWith("dev.interlock.") && !className.startsWith("dev.interlock.spring.");
    }
}
