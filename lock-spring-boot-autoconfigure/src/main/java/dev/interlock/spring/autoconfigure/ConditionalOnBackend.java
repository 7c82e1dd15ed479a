package dev.interlock.spring.autoconfigure;

import dev.interlock.spring.autoconfigure.InterlockProperties.Backend;
import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.springframework.context.annotation.Conditional;

/**
 * Matches when {@code interlock.backend} selects the given backend, or is unset and the given
 * backend is the {@linkplain Backend#platformDefault() platform's default}.
 *
 * @author Interlock team
 */
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.TYPE, ElementType.METHOD})
@Documented
@Conditional(OnBackendCondition.class)
@interface ConditionalOnBackend {

    /**
     * The backend that must be selected.
     *
     * @return the backend
     */
    Backend value();
}
