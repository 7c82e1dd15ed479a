package dev.interlock.benchmarks.multiprocess;

import java.util.HashMap;
import java.util.Map;

/**
 * What one child process measured in one run, exchanged as a single line of text so that the Java
 * child and the C reference report alike:
 *
 * <pre>
 * RESULT pairs=1234567 elapsed_ns=250001234 cpu_ns=249876543 hist=3:10,17:1200,...
 * </pre>
 *
 * @param pairs lock+unlock pairs completed by all threads of the child
 * @param elapsedNanos wall time from the start signal until the last thread stopped
 * @param cpuNanos CPU time the hammering threads used, summed over threads
 * @param waits how long each {@code lock()} call took, from call to return
 * @author Interlock team
 * @since 0.1.0
 */
public record HammerResult(long pairs, long elapsedNanos, long cpuNanos, WaitHistogram waits) {

    /** The first word of a result line. */
    public static final String PREFIX = "RESULT";

    /**
     * Formats this result as one line.
     *
     * @return the line, without a line terminator
     */
    public String toLine() {
        return PREFIX + " pairs=" + pairs + " elapsed_ns=" + elapsedNanos + " cpu_ns=" + cpuNanos + " hist="
                + waits.encode();
    }

    /**
     * Parses a line written by {@link #toLine()} or by the C reference.
     *
     * @param line the line
     * @return the result
     * @throws IllegalArgumentException if the line is not a result line
     */
    public static HammerResult parse(String line) {
        String[] words = line.trim().split(" ");
        if (!words[0].equals(PREFIX)) {
            throw new IllegalArgumentException("Expected a line starting with " + PREFIX + " from a benchmark child,"
                    + " got '" + line + "'; look at the child's stderr above for what went wrong");
        }
        Map<String, String> fields = new HashMap<>();
        for (int i = 1; i < words.length; i++) {
            int equals = words[i].indexOf('=');
            if (equals > 0) {
                fields.put(words[i].substring(0, equals), words[i].substring(equals + 1));
            }
        }
        return new HammerResult(
                number(fields, "pairs", line),
                number(fields, "elapsed_ns", line),
                number(fields, "cpu_ns", line),
                WaitHistogram.decode(field(fields, "hist", line)));
    }

    /**
     * Returns the child's throughput.
     *
     * @return lock+unlock pairs per second
     */
    public double pairsPerSecond() {
        return elapsedNanos == 0 ? 0 : pairs * 1e9 / elapsedNanos;
    }

    private static long number(Map<String, String> fields, String name, String line) {
        try {
            return Long.parseLong(field(fields, name, line));
        } catch (NumberFormatException ex) {
            throw new IllegalArgumentException(
                    "Field " + name + " of result line '" + line + "' is not a whole number", ex);
        }
    }

    private static String field(Map<String, String> fields, String name, String line) {
        String value = fields.get(name);
        if (value == null) {
            throw new IllegalArgumentException("Result line '" + line + "' has no field " + name
                    + "; child and parent must be from the same build");
        }
        return value;
    }
}
