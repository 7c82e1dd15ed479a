package dev.interlock.spring.autoconfigure;

import dev.interlock.LockCountMismatchException;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * Reports a shared-memory segment that exists with another lock count than {@code
 * interlock.shm.num-locks} asks for, and the two ways out: use the existing count, or remove the
 * segment and renumber.
 *
 * @author Interlock team
 */
final class LockCountMismatchFailureAnalyzer extends AbstractFailureAnalyzer<LockCountMismatchException> {

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, LockCountMismatchException cause) {
        String location = cause.location();
        String description = "The lock storage " + location + " exists with " + cause.actual()
                + " locks, but interlock.shm.num-locks asks for " + cause.requested()
                + " (after rounding up to whole 64-lock words).";
        String action = "Either set interlock.shm.num-locks to " + cause.actual()
                + " to use the existing segment, or renumber: stop every process that uses " + location
                + ", remove the segment with SHMLockManager.unlink(\"" + location + "\") or 'rm /dev/shm"
                + location + "' (only when no process uses it), start again, and re-claim stored lock IDs"
                + " with Manager.allocateAndRetrieveLock(id).";
        return new FailureAnalysis(description, action, cause);
    }
}
