package dev.interlock.spring.autoconfigure;

import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.env.Environment;

/**
 * Properties of earlier versions that are no longer read, and what replaces them. Logged at
 * startup when still set, so that a setting that silently stopped working is seen.
 *
 * @author Interlock team
 */
final class RetiredProperties {

    private static final Logger logger = LoggerFactory.getLogger(RetiredProperties.class);

    /** Retired property to the message that says what to do instead. */
    static final Map<String, String> RETIRED = new LinkedHashMap<>();

    static {
        RETIRED.put(
                "interlock.endpoint.free-all.enabled",
                "DELETE /actuator/locks now follows Spring Boot's endpoint access model: the locks endpoint is"
                        + " read-only by default; set management.endpoint.locks.access=unrestricted to allow"
                        + " freeing every lock (only during a renumbering with no other process active), and"
                        + " remove this property");
        RETIRED.put(
                "interlock.health.min-available",
                "the health settings moved under management.health.interlock, like Spring Boot's own;"
                        + " rename it to management.health.interlock.min-available (its value is used until then)");
    }

    private RetiredProperties() {}

    /**
     * Logs a warning for every retired property that is set in {@code environment}.
     *
     * @param environment the application's environment
     * @return how many retired properties are set
     */
    static int warnIfSet(Environment environment) {
        int set = 0;
        for (Map.Entry<String, String> retired : RETIRED.entrySet()) {
            String value = environment.getProperty(retired.getKey());
            if (value != null) {
                set++;
                logger.warn("{}={} is retired and no longer read: {}", retired.getKey(), value, retired.getValue());
            }
        }
        return set;
    }
}
