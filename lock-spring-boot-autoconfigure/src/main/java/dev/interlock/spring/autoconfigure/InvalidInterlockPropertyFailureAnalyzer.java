package dev.interlock.spring.autoconfigure;

import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.bind.BindException;
import org.springframework.boot.context.properties.source.ConfigurationProperty;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;

/**
 * Reports an {@code interlock.*} property value that binding rejected, such as a zero lock count
 * or a malformed mode. Ordered ahead of Spring Boot's generic bind failure analysis, which would
 * otherwise claim the failure.
 *
 * @author Interlock team
 */
@Order(Ordered.HIGHEST_PRECEDENCE)
final class InvalidInterlockPropertyFailureAnalyzer extends AbstractFailureAnalyzer<InvalidInterlockPropertyException> {

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, InvalidInterlockPropertyException cause) {
        String description = "Invalid value '" + cause.value() + "' for property '" + cause.property() + "'"
                + originOf(rootFailure) + ": " + cause.reason();
        return new FailureAnalysis(description, cause.action(), cause);
    }

    /** Returns " (from ORIGIN)" for the property whose binding failed, or "" when no origin is known. */
    static String originOf(Throwable failure) {
        BindException bindFailure = causeOf(failure, BindException.class);
        ConfigurationProperty property = (bindFailure != null) ? bindFailure.getProperty() : null;
        return (property != null && property.getOrigin() != null) ? " (from " + property.getOrigin() + ")" : "";
    }

    private static <E extends Throwable> @Nullable E causeOf(Throwable failure, Class<E> type) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (type.isInstance(cause)) {
                return type.cast(cause);
            }
        }
        return null;
    }
}
