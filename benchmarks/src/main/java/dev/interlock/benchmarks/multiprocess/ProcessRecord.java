package dev.interlock.benchmarks.multiprocess;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One process's figures from one run of the multi-process benchmark: a line of the per-process
 * results file next to the {@link RoundRecord} file. A {@link RoundRecord} merges the waits of all
 * processes, so a process that waited long but rarely hides under the others' fast calls; this
 * record keeps each process apart, with its whole wait histogram, so that the report can show
 * whether any process was starved.
 *
 * @param round the round, from 1
 * @param subject what was hammered
 * @param pattern one lock for all threads, or one lock per thread
 * @param processes how many processes hammered
 * @param threads how many threads each process ran
 * @param process which process, from 1
 * @param pairsPerSecond this process's lock+unlock pairs per second
 * @param waits how long each of this process's {@code lock()} calls took
 * @author Interlock team
 * @since 0.2.0
 */
public record ProcessRecord(
        int round,
        String subject,
        LockPattern pattern,
        int processes,
        int threads,
        int process,
        double pairsPerSecond,
        WaitHistogram waits) {

    /** The header line of the per-process results file. */
    public static final String HEADER =
            "round\tsubject\tpattern\tprocesses\tthreads\tprocess\tpairs_per_s\tp50_ns\tp99_ns\tmax_ns\thist";

    private static final int COLUMNS = 11;

    /**
     * Returns the per-process file that goes with a rounds file: its name with {@code -processes}
     * before the extension ({@code pg-multiprocess-processes.tsv} for {@code pg-multiprocess.tsv}).
     *
     * @param roundsFile the file of {@link RoundRecord}s
     * @return the file of this run's {@link ProcessRecord}s
     */
    public static Path fileNextTo(Path roundsFile) {
        String name = roundsFile.getFileName().toString();
        int dot = name.lastIndexOf('.');
        String file = dot > 0 ? name.substring(0, dot) + "-processes" + name.substring(dot) : name + "-processes";
        return roundsFile.resolveSibling(file);
    }

    /**
     * Splits the results of one run into one record per process.
     *
     * @param round the round
     * @param subject what was hammered
     * @param pattern which locks
     * @param threads threads per process
     * @param results one result per process, in process order
     * @return one record per process
     */
    static List<ProcessRecord> of(
            int round, String subject, LockPattern pattern, int threads, List<HammerResult> results) {
        List<ProcessRecord> records = new ArrayList<>();
        for (int i = 0; i < results.size(); i++) {
            HammerResult result = results.get(i);
            records.add(new ProcessRecord(
                    round, subject, pattern, results.size(), threads, i + 1, result.pairsPerSecond(), result.waits()));
        }
        return records;
    }

    /**
     * Returns the share of this process's {@code lock()} calls that took longer than {@code nanos}.
     *
     * @param nanos the threshold
     * @return 0 to 1; 0 if nothing was recorded
     */
    public double shareOver(long nanos) {
        return waits.count() == 0 ? 0 : (double) waits.countOver(nanos) / waits.count();
    }

    /**
     * Formats this record as a tab-separated line matching {@link #HEADER}; the percentiles are
     * there for a reader of the file, the histogram for the report.
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
                String.valueOf(process),
                String.format(Locale.ROOT, "%.1f", pairsPerSecond),
                String.valueOf(waits.percentile(50)),
                String.valueOf(waits.percentile(99)),
                String.valueOf(waits.percentile(100)),
                waits.encode());
    }

    /**
     * Parses a line written by {@link #toTsv()}.
     *
     * @param line the line
     * @return the record
     * @throws IllegalArgumentException if the line does not have the columns of {@link #HEADER}
     */
    public static ProcessRecord parse(String line) {
        String[] columns = line.split("\t");
        if (columns.length != COLUMNS) {
            throw new IllegalArgumentException("Per-process results line '" + line + "' has " + columns.length
                    + " columns, expected " + COLUMNS + " (" + HEADER + "); rerun the benchmark with this build");
        }
        return new ProcessRecord(
                Integer.parseInt(columns[0]),
                columns[1],
                LockPattern.valueOf(columns[2]),
                Integer.parseInt(columns[3]),
                Integer.parseInt(columns[4]),
                Integer.parseInt(columns[5]),
                Double.parseDouble(columns[6]),
                WaitHistogram.decode(columns[10]));
    }
}
