package dev.interlock.spring.autoconfigure;

/**
 * Thrown while binding {@code interlock.*} properties when a value is out of range or malformed;
 * {@link InvalidInterlockPropertyFailureAnalyzer} turns it into the startup failure report.
 *
 * @author Interlock team
 */
final class InvalidInterlockPropertyException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    private final String property;

    private final String value;

    private final String reason;

    private final String action;

    /**
     * Creates an exception for one property value.
     *
     * @param property the property's name, such as {@code interlock.shm.num-locks}
     * @param value the rejected value as written
     * @param reason why the value is wrong, one sentence
     * @param action what to set instead
     */
    InvalidInterlockPropertyException(String property, String value, String reason, String action) {
        super("Invalid value '" + value + "' for property '" + property + "': " + reason + " " + action);
        this.property = property;
        this.value = value;
        this.reason = reason;
        this.action = action;
    }

    String property() {
        return property;
    }

    String value() {
        return value;
    }

    String reason() {
        return reason;
    }

    String action() {
        return action;
    }
}
