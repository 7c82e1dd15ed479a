package dev.interlock.benchmarks.multiprocess;

import java.util.List;
import java.util.Locale;

/**
 * One subject's figures from one round of the multi-process benchmark: a line of the results file
 * that {@code benchmarks/run.sh} hands to the report. Wait times are those of the {@code lock()}
 * calls of all processes together.
 *
 * @param round the round, from 1
 * @param subject what was hammered: a backend name, {@code C_PTHREAD} or {@code C_FCNTL}
 * @param pattern one lock for all threads, or one lock per thread
 * @param processes how many processes hammered
 * @param threads how many threads each process ran
 * @param pairsPerSecond lock+unlock pairs per second, all processes together
 * @param cpuNanosPerPair CPU time of the hammering threads per pair
 * @param p50Nanos median wait for {@code lock()}
 * @param p99Nanos 99th percentile wait
 * @param p999Nanos 99.9th percentile wait: the fairness bound's figure, with the longest wait
 * @param maxNanos longest wait
 * @author Interlock team
 * @since 0.1.0
 */
public record RoundRecord(
        int round,
        String subject,
        LockPattern pattern,
        int processes,
        int threads,
        double pairsPerSecond,
        double cpuNanosPerPair,
        long p50Nanos,
        long p99Nanos,
        long p999Nanos,
        long maxNanos) {

    /** The header line of the results file. */
    public static final String HEADER =
            "round\tsubject\tpattern\tprocesses\tthreads\tpairs_per_s\tcpu_ns_per_pair\tp50_ns\tp99_ns\tp999_ns\tmax_ns";

    /**
     * Adds up what the processes of one run measured.
     *
     * @param round the round
     * @param subject what was hammered
     * @param pattern which locks
     * @param threads threads per process
     * @param results one result per process
     * @return the record
     */
    static RoundRecord of(int round, String subject, LockPattern pattern, int threads, List<HammerResult> results) {
        double pairsPerSecond = 0;
        long pairs = 0;
        long cpuNanos = 0;
        WaitHistogram waits = new WaitHistogram();
        for (HammerResult result : results) {
            pairsPerSecond += result.pairsPerSecond();
            pairs += result.pairs();
            cpuNanos += result.cpuNanos();
            waits.add(result.waits());
        }
        return new RoundRecord(
                round,
                subject,
                pattern,
                results.size(),
                threads,
                pairsPerSecond,
                pairs == 0 ? 0 : (double) cpuNanos / pairs,
                waits.percentile(50),
                waits.percentile(99),
                waits.percentile(99.9),
                waits.percentile(100));
    }

    /**
     * Formats this record as a tab-separated line matching {@link #HEADER}.
     *
     * @return the line
     */
    public String toTsv() {
        return String.join(
                "\t",
                String.valueOf(round),
                subject,
                pattern.name(),
                String.valueOf(processes),
                String.valueOf(threads),
                String.format(Locale.ROOT, "%.1f", pairsPerSecond),
                String.format(Locale.ROOT, "%.1f", cpuNanosPerPair),
                String.valueOf(p50Nanos),
                String.valueOf(p99Nanos),
                String.valueOf(p999Nanos),
                String.valueOf(maxNanos));
    }

    /**
     * Parses a line written by {@link #toTsv()}.
     *
     * @param line the line
     * @return the record
     * @throws IllegalArgumentException if the line does not have the columns of {@link #HEADER}
     */
    public static RoundRecord parse(String line) {
        String[] columns = line.split("\t");
        if (columns.length != 11) {
            throw new IllegalArgumentException("Results line '" + line + "' has " + columns.length
                    + " columns, expected 11 (" + HEADER + "); rerun the benchmark with this build");
        }
        return new RoundRecord(
                Integer.parseInt(columns[0]),
                columns[1],
                LockPattern.valueOf(columns[2]),
                Integer.parseInt(columns[3]),
                Integer.parseInt(columns[4]),
                Double.parseDouble(columns[5]),
                Double.parseDouble(columns[6]),
                Long.parseLong(columns[7]),
                Long.parseLong(columns[8]),
                Long.parseLong(columns[9]),
                Long.parseLong(columns[10]));
    }
}
