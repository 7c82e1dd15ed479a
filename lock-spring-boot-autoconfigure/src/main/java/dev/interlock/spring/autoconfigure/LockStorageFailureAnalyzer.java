package dev.interlock.spring.autoconfigure;

import dev.interlock.LockCountMismatchException;
import dev.interlock.LockStorageAccessException;
import dev.interlock.LockStorageException;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * Reports lock storage that exists but cannot be used: another layout version (after an upgrade),
 * not Interlock's storage at all, truncated or corrupt. A lock-count mismatch and refused access
 * have analyzers of their own.
 *
 * @author Interlock team
 */
final class LockStorageFailureAnalyzer extends AbstractFailureAnalyzer<LockStorageException> {

    @Override
    protected @Nullable FailureAnalysis analyze(Throwable rootFailure, LockStorageException cause) {
        if (cause instanceof LockCountMismatchException || cause instanceof LockStorageAccessException) {
            return null;
        }
        String location = cause.location();
        String description = "Interlock cannot use the lock storage " + location + ": " + cause.getMessage();
        String action = "Stop every process that uses " + location + " and remove it (a segment with"
                + " SHMLockManager.unlink(\"" + location + "\") or 'rm /dev/shm" + location + "', a directory with"
                + " 'rm -r'), so that it is created anew at the next start, then re-claim stored lock IDs with"
                + " Manager.allocateAndRetrieveLock(id); or point interlock.shm.path or interlock.file.directory at"
                + " storage of its own.";
        return new FailureAnalysis(description, action, cause);
    }
}
