package dev.interlock.benchmarks.report;

import dev.interlock.benchmarks.multiprocess.PostgresSubject;
import dev.interlock.benchmarks.multiprocess.ProcessRecord;
import dev.interlock.benchmarks.multiprocess.RoundRecord;
import dev.interlock.benchmarks.report.JmhScores.Score;
import dev.interlock.benchmarks.report.Report.Disturbance;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.ToDoubleFunction;
import org.jspecify.annotations.Nullable;

/**
 * Prints the PostgreSQL part of a benchmark run as markdown: the uncontended pair against a bare
 * advisory-lock pair (JMH, in rounds), Interlock's PostgreSQL backend against its peers with 4
 * processes on one lock (the multi-process benchmark), the {@code kill -9} takeover times, and
 * whether each target of issue 12 was met. Every ratio is taken round by round, both sides
 * measured in the same round.
 *
 * <pre>
 * java -cp benchmarks.jar dev.interlock.benchmarks.report.PostgresReport \
 *     --jmh-rounds pg-jmh-1.csv,pg-jmh-2.csv,... --multiprocess pg-multiprocess.tsv \
 *     [--per-process pg-multiprocess-processes.tsv] [--takeover-ms 9,10,12,...] [--server "PostgreSQL 15.20 at 127.0.0.1:5432"] \
 *     [--load-before "0.52 0.40 0.33" --run-seconds 300 --other-cpu-seconds 12]
 * </pre>
 *
 * <p>The per-process file defaults to the one the multi-process benchmark writes next to {@code
 * --multiprocess}; without it the per-process table is left out with a note.
 *
 * @author Interlock team
 * @since 0.1.0
 */
public final class PostgresReport {

    /** Uncontended {@code lock()}+{@code unlock()}: at most this many times the bare pair. */
    static final double UNCONTENDED_TARGET = 1.2;

    /** 4 processes on one lock: at least this many times each peer's throughput. */
    static final double THROUGHPUT_TARGET = 5;

    /** Every takeover after a holder's {@code kill -9} within this many milliseconds. */
    static final long TAKEOVER_TARGET_MILLIS = 1000;

    /** A {@code lock()} call that took longer than this waited for another process. */
    static final long SLOW_WAIT_NANOS = 1_000_000;

    private static final String BENCHMARK = "PostgresLockBenchmark.";

    private final PrintStream out;

    private final List<String> targets = new ArrayList<>();

    private PostgresReport(PrintStream out) {
        this.out = out;
    }

    /**
     * Prints the report to standard output.
     *
     * @param args the options shown in the class description
     * @throws IOException if a results file cannot be read
     */
    public static void main(String[] args) throws IOException {
        Map<String, String> options = Report.options(args);
        String takeover = options.getOrDefault("takeover-ms", "");
        Path multiprocess = Path.of(options.getOrDefault("multiprocess", "pg-multiprocess.tsv"));
        String perProcess = options.get("per-process");
        print(
                Arrays.stream(options.getOrDefault("jmh-rounds", "").split(","))
                        .filter(name -> !name.isBlank())
                        .map(Path::of)
                        .toList(),
                multiprocess,
                perProcess != null ? Path.of(perProcess) : ProcessRecord.fileNextTo(multiprocess),
                Arrays.stream(takeover.split(","))
                        .filter(millis -> !millis.isBlank())
                        .map(Long::valueOf)
                        .toList(),
                options.get("server"),
                Disturbance.of(options),
                System.out);
    }

    /**
     * Prints the report; a missing part leaves its table out with a note.
     *
     * @param jmhRounds one JMH CSV file per round
     * @param multiprocess the multi-process results file of the PostgreSQL subjects
     * @param perProcess the per-process results file of the same run
     * @param takeoverMillis kill-to-acquisition times of the trials, empty if not measured
     * @param server which server, or {@code null} if not recorded
     * @param disturbance what else ran during this part of the run
     * @param out where to print
     * @throws IOException if a results file cannot be read
     */
    static void print(
            List<Path> jmhRounds,
            Path multiprocess,
            Path perProcess,
            List<Long> takeoverMillis,
            @Nullable String server,
            Disturbance disturbance,
            PrintStream out)
            throws IOException {
        PostgresReport report = new PostgresReport(out);
        out.println("# PostgreSQL\n");
        if (server != null) {
            out.println("Server: " + server + "\n");
        }
        Report.machine(disturbance, out);
        report.uncontended(jmhRounds);
        List<RoundRecord> records = List.of();
        if (Files.exists(multiprocess)) {
            records = Report.readRounds(multiprocess);
        }
        if (records.isEmpty()) {
            out.println("No multi-process rounds in " + multiprocess + ": the peers' table is missing.\n");
            for (PostgresSubject peer : List.of(PostgresSubject.JDBC_LOCK_REGISTRY, PostgresSubject.SHEDLOCK)) {
                report.targets.add(notMeasured(peer));
            }
        } else {
            report.contended(records);
            report.perProcess(perProcess);
        }
        report.takeover(takeoverMillis);
        out.println("## PostgreSQL targets (issue 12)\n");
        report.targets.forEach(out::println);
        out.println();
    }

    private void uncontended(List<Path> jmhRounds) throws IOException {
        List<Double> ourMedians = new ArrayList<>();
        List<Double> bareMedians = new ArrayList<>();
        List<Double> ourMeans = new ArrayList<>();
        List<Double> bareMeans = new ArrayList<>();
        List<Double> medianRatios = new ArrayList<>();
        List<Double> meanRatios = new ArrayList<>();
        for (Path round : jmhRounds) {
            JmhScores scores = JmhScores.read(round);
            Optional<Score> ourMedian = scores.get(BENCHMARK + "interlock:p0.50", "");
            Optional<Score> bareMedian = scores.get(BENCHMARK + "advisoryPair:p0.50", "");
            Optional<Score> ourMean = scores.get(BENCHMARK + "interlock", "");
            Optional<Score> bareMean = scores.get(BENCHMARK + "advisoryPair", "");
            if (ourMedian.isPresent() && bareMedian.isPresent() && ourMean.isPresent() && bareMean.isPresent()) {
                ourMedians.add(ourMedian.get().mean());
                bareMedians.add(bareMedian.get().mean());
                ourMeans.add(ourMean.get().mean());
                bareMeans.add(bareMean.get().mean());
                medianRatios.add(ourMedian.get().mean() / bareMedian.get().mean());
                meanRatios.add(ourMean.get().mean() / bareMean.get().mean());
            }
        }
        if (medianRatios.isEmpty()) {
            out.println("No JMH rounds of PostgresLockBenchmark (sample mode): the uncontended table is missing.\n");
            targets.add("- uncontended lock()+unlock() ≤ " + UNCONTENDED_TARGET
                    + "× the bare advisory pair: **not measured**");
            return;
        }
        out.printf(
                "## Uncontended, one thread, loopback (JMH sample mode, %d rounds; median [min–max] over rounds)%n%n",
                medianRatios.size());
        out.println("| Per pair, µs | median pair | mean pair |");
        out.println("|---|---:|---:|");
        out.printf(
                "| bare `pg_advisory_lock` + `pg_advisory_unlock`, one connection | %s | %s |%n",
                micros(bareMedians), micros(bareMeans));
        out.printf("| Interlock `lock()` + `unlock()` | %s | %s |%n", micros(ourMedians), micros(ourMeans));
        out.printf("| ratio, round by round | %s | %s |%n%n", ratio(medianRatios), ratio(meanRatios));
        double ratio = Report.median(medianRatios);
        targets.add(String.format(
                Locale.ROOT,
                "- uncontended lock()+unlock() ≤ %.1f× the bare advisory pair (median pairs): %.2f× — **%s**",
                UNCONTENDED_TARGET,
                ratio,
                ratio <= UNCONTENDED_TARGET ? "met" : "missed"));
    }

    private void contended(List<RoundRecord> records) {
        List<RoundRecord> ours = runsOf(records, PostgresSubject.POSTGRESQL);
        int rounds =
                (int) records.stream().mapToInt(RoundRecord::round).distinct().count();
        out.printf(
                "## One lock, several processes (%d rounds; median [min–max] over rounds, subjects side by"
                        + " side in each round)%n%n",
                rounds);
        out.println("Wait = how long a blocking `lock()` took; Interlock's throughput is compared with each"
                + " peer's in the same round.\n");
        out.println("| Subject | Processes × threads | Pairs/s | Interlock ÷ this | Wait p50 / p99 / max |");
        out.println("|---|---|---:|---|---|");
        for (PostgresSubject subject : PostgresSubject.values()) {
            List<RoundRecord> runs = runsOf(records, subject);
            if (runs.isEmpty()) {
                continue;
            }
            RoundRecord first = runs.get(0);
            List<Double> ratios = perRoundRatios(ours, runs);
            String comparison = subject == PostgresSubject.POSTGRESQL || ratios.isEmpty()
                    ? ""
                    : String.format(Locale.ROOT, "%.1f× [%.1f–%.1f]", Report.median(ratios), min(ratios), max(ratios));
            out.printf(
                    Locale.ROOT,
                    "| %s | %d × %d | %,.0f [%,.0f–%,.0f] | %s | %s / %s / %s |%n",
                    displayName(subject),
                    first.processes(),
                    first.threads(),
                    Report.median(runs, RoundRecord::pairsPerSecond),
                    min(figures(runs, RoundRecord::pairsPerSecond)),
                    max(figures(runs, RoundRecord::pairsPerSecond)),
                    comparison,
                    Report.duration(Report.median(runs, RoundRecord::p50Nanos)),
                    Report.duration(Report.median(runs, RoundRecord::p99Nanos)),
                    Report.duration(max(figures(runs, RoundRecord::maxNanos))));
            if (subject != PostgresSubject.POSTGRESQL) {
                peerTargets(subject, ours, runs, ratios);
            }
        }
        out.println();
    }

    /**
     * One row per process and subject, so that a process that waited long but rarely shows: in the
     * merged figures its few long waits are under 1 % of all calls.
     */
    private void perProcess(Path file) throws IOException {
        if (!Files.exists(file)) {
            out.println("No per-process results in " + file + ": the per-process table is missing.\n");
            return;
        }
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        List<ProcessRecord> records = lines.subList(1, lines.size()).stream()
                .map(ProcessRecord::parse)
                .toList();
        out.printf(
                Locale.ROOT,
                "### Each process apart (median [min–max] over rounds; max over rounds)%n%n"
                        + "A call that took over %s waited for another process; one in N such calls means"
                        + " runs of about N acquisitions by one process between hand-offs.%n%n",
                Report.duration(SLOW_WAIT_NANOS));
        out.println("| Subject | Process | Pairs/s | Wait p50 | Wait p99 | Wait max | Calls over "
                + Report.duration(SLOW_WAIT_NANOS) + " |");
        out.println("|---|---:|---:|---:|---:|---:|---:|");
        for (PostgresSubject subject : PostgresSubject.values()) {
            List<ProcessRecord> runs = records.stream()
                    .filter(r -> r.subject().equals(subject.name()))
                    .toList();
            int processes = runs.stream().mapToInt(ProcessRecord::process).max().orElse(0);
            for (int process = 1; process <= processes; process++) {
                int p = process;
                List<ProcessRecord> mine =
                        runs.stream().filter(r -> r.process() == p).toList();
                List<Double> rates =
                        mine.stream().map(ProcessRecord::pairsPerSecond).toList();
                List<Double> p50 = mine.stream()
                        .map(r -> (double) r.waits().percentile(50))
                        .toList();
                List<Double> p99 = mine.stream()
                        .map(r -> (double) r.waits().percentile(99))
                        .toList();
                List<Double> maxima = mine.stream()
                        .map(r -> (double) r.waits().percentile(100))
                        .toList();
                List<Double> slow = mine.stream()
                        .map(r -> 100 * r.shareOver(SLOW_WAIT_NANOS))
                        .toList();
                out.printf(
                        Locale.ROOT,
                        "| %s | %d | %,.0f [%,.0f–%,.0f] | %s | %s [%s–%s] | %s | %.2f %% [%.2f–%.2f] |%n",
                        displayName(subject),
                        process,
                        Report.median(rates),
                        min(rates),
                        max(rates),
                        Report.duration(Report.median(p50)),
                        Report.duration(Report.median(p99)),
                        Report.duration(min(p99)),
                        Report.duration(max(p99)),
                        Report.duration(max(maxima)),
                        Report.median(slow),
                        min(slow),
                        max(slow));
            }
        }
        out.println();
    }

    private void peerTargets(
            PostgresSubject peer, List<RoundRecord> ours, List<RoundRecord> runs, List<Double> ratios) {
        String name = displayName(peer);
        if (ratios.isEmpty()) {
            targets.add(notMeasured(peer));
            return;
        }
        double ratio = Report.median(ratios);
        targets.add(String.format(
                Locale.ROOT,
                "- throughput ≥ %.0f× %s, one lock, %d processes: %.1f× — **%s**",
                THROUGHPUT_TARGET,
                name,
                runs.get(0).processes(),
                ratio,
                ratio >= THROUGHPUT_TARGET ? "met" : "missed"));
        double ourP99 = Report.median(ours, RoundRecord::p99Nanos);
        double theirP99 = Report.median(runs, RoundRecord::p99Nanos);
        targets.add(String.format(
                Locale.ROOT,
                "- p99 wait below %s's: %s vs %s — **%s**",
                name,
                Report.duration(ourP99),
                Report.duration(theirP99),
                ourP99 < theirP99 ? "met" : "missed"));
    }

    private static String notMeasured(PostgresSubject peer) {
        return String.format(
                Locale.ROOT,
                "- throughput ≥ %.0f× %s and a lower p99 wait: **not measured**",
                THROUGHPUT_TARGET,
                displayName(peer));
    }

    private void takeover(List<Long> millis) {
        String target = "- every takeover after a holder's kill -9 within " + TAKEOVER_TARGET_MILLIS + " ms";
        if (millis.isEmpty()) {
            out.println("No kill -9 takeover trials in this run.\n");
            targets.add(target + ": **not measured**");
            return;
        }
        List<Long> sorted = millis.stream().sorted().toList();
        long median = sorted.get(sorted.size() / 2);
        long max = sorted.get(sorted.size() - 1);
        out.printf("## Holder killed with SIGKILL → waiter acquires (%d trials)%n%n", sorted.size());
        out.printf("Median **%d ms**, max **%d ms**; all: %s ms.%n%n", median, max, sorted);
        targets.add(
                String.format("%s: max %d ms — **%s**", target, max, max < TAKEOVER_TARGET_MILLIS ? "met" : "missed"));
    }

    private static List<RoundRecord> runsOf(List<RoundRecord> records, PostgresSubject subject) {
        return records.stream().filter(r -> r.subject().equals(subject.name())).toList();
    }

    /** Interlock's throughput divided by the peer's, per round in which both ran. */
    private static List<Double> perRoundRatios(List<RoundRecord> ours, List<RoundRecord> theirs) {
        List<Double> ratios = new ArrayList<>();
        for (RoundRecord their : theirs) {
            ours.stream()
                    .filter(our -> our.round() == their.round()
                            && our.processes() == their.processes()
                            && our.threads() == their.threads()
                            && our.pattern() == their.pattern())
                    .findFirst()
                    .ifPresent(our -> ratios.add(our.pairsPerSecond() / their.pairsPerSecond()));
        }
        return ratios;
    }

    private static String displayName(PostgresSubject subject) {
        return switch (subject) {
            case POSTGRESQL -> "Interlock postgresql";
            case JDBC_LOCK_REGISTRY -> "Spring Integration JdbcLockRegistry";
            case SHEDLOCK -> "ShedLock JDBC provider, retry loop";
        };
    }

    private static List<Double> figures(List<RoundRecord> runs, ToDoubleFunction<RoundRecord> figure) {
        return runs.stream().map(figure::applyAsDouble).toList();
    }

    private static String micros(List<Double> nanos) {
        return String.format(
                Locale.ROOT, "%.1f [%.1f–%.1f]", Report.median(nanos) / 1e3, min(nanos) / 1e3, max(nanos) / 1e3);
    }

    private static String ratio(List<Double> ratios) {
        return String.format(Locale.ROOT, "%.2f× [%.2f–%.2f]", Report.median(ratios), min(ratios), max(ratios));
    }

    private static double min(List<Double> values) {
        return values.stream().mapToDouble(Double::doubleValue).min().orElseThrow();
    }

    private static double max(List<Double> values) {
        return values.stream().mapToDouble(Double::doubleValue).max().orElseThrow();
    }
}
