package dev.interlock.spring.autoconfigure;

import org.jspecify.annotations.Nullable;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * Reports a multiprocess backend that cannot run on this platform (the shared-memory and file
 * backends need Linux on x86-64 or AArch64), with the way to keep developing elsewhere.
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
        String action = "Run the application on Linux (x86-64 or AArch64) for locks shared between processes. To"
                + " develop or test on this platform, set interlock.backend=memory: the locks are then shared by"
                + " the threads of this JVM only.";
        return new FailureAnalysis(description, action, cause);
    }

    private static boolean isBackendClass(String className) {
        return className.startsWith("dev.interlock.") && !className.startsWith("dev.interlock.spring.");
    }
}
