package dev.interlock.spring.aot;

import java.util.stream.Collectors;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * Reports a {@link BuildTimeConditionException}: which of Interlock's settings differ from the
 * ones Spring AOT fixed at build time, and what to do.
 *
 * @author Interlock team
 */
final class BuildTimeConditionFailureAnalyzer extends AbstractFailureAnalyzer<BuildTimeConditionException> {

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, BuildTimeConditionException cause) {
        String description = BuildTimeConditionException.FIXED + ", and these differ now:\n"
                + cause.changes().stream()
                        .map(change -> "  - " + change.describe())
                        .collect(Collectors.joining("\n"));
        return new FailureAnalysis(description, BuildTimeConditionException.ACTION, cause);
    }
}
