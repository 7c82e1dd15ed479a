package dev.interlock.spring.autoconfigure;

import dev.interlock.LockStorageAccessException;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * Reports lock storage that this process may not use: access denied, or storage that belongs to
 * another user or is writable by others.
 *
 * @author Interlock team
 */
final class LockStorageAccessFailureAnalyzer extends AbstractFailureAnalyzer<LockStorageAccessException> {

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, LockStorageAccessException cause) {
        String location = cause.location();
        String description = "Interlock may not use the lock storage " + location + ": " + cause.getMessage();
        String action = "Run the application as the user that owns " + location + ", or give it the owner and mode"
                + " this user needs (interlock.shm.mode and interlock.file.mode set the mode of new storage);"
                + " to share storage that another user created on purpose, set interlock.shm.allow-foreign-owner"
                + " or interlock.file.allow-foreign-owner to true; or use storage of your own with"
                + " interlock.shm.path or interlock.file.directory.";
        return new FailureAnalysis(description, action, cause);
    }
}
