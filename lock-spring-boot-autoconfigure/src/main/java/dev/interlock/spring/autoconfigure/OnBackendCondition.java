package dev.interlock.spring.autoconfigure;

import dev.interlock.spring.autoconfigure.InterlockProperties.Backend;
import java.util.Map;
import java.util.Objects;
import org.springframework.boot.autoconfigure.condition.ConditionOutcome;
import org.springframework.boot.autoconfigure.condition.SpringBootCondition;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.core.type.AnnotatedTypeMetadata;

/**
 * The condition behind {@link ConditionalOnBackend}. A value that names no backend fails here
 * with a {@link org.springframework.boot.context.properties.bind.BindException}, which {@link
 * UnknownBackendFailureAnalyzer} reports.
 *
 * @author Interlock team
 */
final class OnBackendCondition extends SpringBootCondition {

    @Override
    public ConditionOutcome getMatchOutcome(ConditionContext context, AnnotatedTypeMetadata metadata) {
        Map<String, Object> attributes =
                Objects.requireNonNull(metadata.getAnnotationAttributes(ConditionalOnBackend.class.getName()));
        Backend required = (Backend) attributes.get("value");
        Backend selected = Binder.get(context.getEnvironment())
                .bind("interlock.backend", Backend.class)
                .orElseGet(Backend::platformDefault);
        String message = "interlock.backend is " + selected.propertyValue();
        return (selected == required) ? ConditionOutcome.match(message) : ConditionOutcome.noMatch(message);
    }
}
