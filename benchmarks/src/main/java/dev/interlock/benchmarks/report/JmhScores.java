package dev.interlock.benchmarks.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The scores of a JMH run, read from its CSV result file ({@code -rf csv}), looked up by
 * benchmark class, method and backend parameter.
 *
 * @author Interlock team
 */
final class JmhScores {

    /** One score: the mean and its 99.9 % confidence half-width (NaN with a single iteration). */
    record Score(double mean, double error) {}

    private final Map<String, Score> scores;

    private JmhScores(Map<String, Score> scores) {
        this.scores = scores;
    }

    /**
     * Reads a JMH CSV result file.
     *
     * @param file the file
     * @return the scores
     * @throws IOException if the file cannot be read
     */
    static JmhScores read(Path file) throws IOException {
        Map<String, Score> scores = new HashMap<>();
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        for (String line : lines.subList(1, lines.size())) {
            List<String> columns = split(line);
            // dev.interlock.benchmarks.UncontendedLockBenchmark.interlock -> UncontendedLockBenchmark.interlock;
            // a sample-time percentile keeps its suffix: PostgresLockBenchmark.interlock:p0.50
            int colon = columns.get(0).indexOf(':');
            String benchmark = colon < 0 ? columns.get(0) : columns.get(0).substring(0, colon);
            String suffix = colon < 0 ? "" : columns.get(0).substring(colon);
            String shortName =
                    benchmark.substring(benchmark.lastIndexOf('.', benchmark.lastIndexOf('.') - 1) + 1) + suffix;
            String backend = columns.size() > 7 ? columns.get(7) : "";
            scores.put(
                    key(shortName, backend),
                    new Score(Double.parseDouble(columns.get(4)), Double.parseDouble(columns.get(5))));
        }
        return new JmhScores(scores);
    }

    /**
     * Returns a score.
     *
     * @param benchmark {@code Class.method}
     * @param backend the backend parameter, or empty for a benchmark without one
     * @return the score, if that benchmark ran
     */
    Optional<Score> get(String benchmark, String backend) {
        return Optional.ofNullable(scores.get(key(benchmark, backend)));
    }

    private static String key(String benchmark, String backend) {
        return benchmark + "/" + backend;
    }

    /** Splits one CSV line as JMH writes it: fields in double quotes or bare, no quotes inside. */
    private static List<String> split(String line) {
        List<String> fields = new ArrayList<>();
        for (String field : line.split(",", -1)) {
            fields.add(field.length() >= 2 && field.startsWith("\"") ? field.substring(1, field.length() - 1) : field);
        }
        return fields;
    }
}
