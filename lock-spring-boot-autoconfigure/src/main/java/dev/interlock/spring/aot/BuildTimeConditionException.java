package dev.interlock.spring.aot;

import java.util.List;
import java.util.stream.Collectors;

/**
 * Thrown at startup under Spring AOT when a property condition of Interlock's auto-configuration
 * has another outcome than it had during AOT processing, so that the run-time setting would be
 * silently ignored. {@link BuildTimeConditionFailureAnalyzer} reports it.
 *
 * @author Interlock team
 */
final class BuildTimeConditionException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    /** What AOT fixed at build time. */
    static final String FIXED =
            "Spring AOT (spring.aot.enabled=true) evaluated Interlock's conditions once, at build time, and does"
                    + " not evaluate them again";

    /** What to do about it. */
    static final String ACTION = "Set the properties named above back to their values at build time, or rebuild"
            + " with AOT processing seeing the values you want (in application.properties or a profile active"
            + " during the build, or in the process-aot goal's <jvmArguments>-Dproperty=value</jvmArguments> of"
            + " spring-boot-maven-plugin), or start without -Dspring.aot.enabled=true.";

    /**
     * One condition whose outcome changed since the build.
     *
     * @param element the auto-configuration or {@code @Bean} method, such as {@code
     *     WithLockAutoConfiguration}
     * @param matchedAtBuild whether it matched at build time, that is whether its beans exist
     * @param runTimeReason why it matches, or does not, now; names the property
     */
    record Change(String element, boolean matchedAtBuild, String runTimeReason) {

        String describe() {
            return element + " was " + (matchedAtBuild ? "included" : "left out") + " at build time, but now "
                    + (matchedAtBuild ? "it would be left out" : "it would be included") + ": " + runTimeReason;
        }
    }

    private final List<Change> changes;

    BuildTimeConditionException(List<Change> changes) {
        super(FIXED + ", and these differ now:\n"
                + changes.stream().map(change -> "  - " + change.describe()).collect(Collectors.joining("\n"))
                + "\n" + ACTION);
        this.changes = List.copyOf(changes);
    }

    /**
     * Returns the conditions whose outcome changed.
     *
     * @return the changes, in the order of the auto-configurations
     */
    List<Change> changes() {
        return changes;
    }
}
