package dev.interlock.spring.autoconfigure;

import dev.interlock.spring.autoconfigure.InterlockProperties.Backend;
import java.util.Arrays;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.bind.BindException;
import org.springframework.boot.context.properties.source.ConfigurationProperty;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;

/**
 * Reports an {@code interlock.backend} value that names no backend. Ordered ahead of Spring
 * Boot's generic bind failure analysis, which would otherwise claim the failure.
 *
 * @author Interlock team
 */
@Order(Ordered.HIGHEST_PRECEDENCE)
final class UnknownBackendFailureAnalyzer extends AbstractFailureAnalyzer<BindException> {

    private static final String PROPERTY = "interlock.backend";

    @Override
    protected @Nullable FailureAnalysis analyze(Throwable rootFailure, BindException cause) {
        ConfigurationProperty property = cause.getProperty();
        if (!PROPERTY.equals(cause.getName().toString()) || property == null) {
            return null;
        }
        String backends =
                Arrays.stream(Backend.values()).map(Backend::propertyValue).collect(Collectors.joining(", "));
        String description = "Invalid value '" + property.getValue() + "' for property '" + PROPERTY + "'"
                + InvalidInterlockPropertyFailureAnalyzer.originOf(cause) + ": Interlock has no such backend; it has "
                + backends + ".";
        String action = "Set " + PROPERTY + " to shm (a shared-memory segment, Linux), file (lock files in a"
                + " directory), postgresql (a PostgreSQL database, across hosts; needs dev.interlock:lock-postgresql)"
                + " or memory (this JVM only, for tests), or remove it to use the platform's default ("
                + Backend.platformDefault().propertyValue() + ").";
        return new FailureAnalysis(description, action, cause);
    }
}
