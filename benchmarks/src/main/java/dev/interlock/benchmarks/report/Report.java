package dev.interlock.benchmarks.report;

import dev.interlock.benchmarks.Backend;
import dev.interlock.benchmarks.multiprocess.LockPattern;
import dev.interlock.benchmarks.multiprocess.MultiProcessBenchmark;
import dev.interlock.benchmarks.multiprocess.RoundRecord;
import dev.interlock.benchmarks.report.JmhScores.Score;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.DoubleFunction;
import java.util.function.DoublePredicate;
import java.util.function.ToDoubleFunction;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/**
 * Prints the results of one benchmark run as markdown: the machine, a table of the single-process
 * JMH scores with ratios against the baselines, a table of the multi-process rounds (medians and
 * ranges, ratios against the C reference of the same rounds), and whether each target was met.
 *
 * <pre>
 * java -cp benchmarks.jar dev.interlock.benchmarks.report.Report \
 *     --jmh jmh.csv --multiprocess multiprocess.tsv [--load-before "0.52 0.40 0.33"]
 * </pre>
 *
 * @author Interlock team
 * @since 0.1.0
 */
public final class Report {

    /** Uncontended pair targets (issue 15, round two): at most this many times the baseline. */
    private static final Map<Backend, Double> UNCONTENDED_TARGETS =
            Map.of(Backend.MEMORY, 1.0, Backend.SHM, 1.0, Backend.FILE, 0.7);

    /** Two or four threads of one JVM, one lock or a lock each: at most this many times {@code ReentrantLock}. */
    private static final double THREADS_TARGET = 1.5;

    /** Allocation on a nearly full 65,536-lock SHM segment must stay under this. */
    private static final double SHM_ALLOCATION_TARGET_NANOS = 1_000;

    /** Two processes on one SHM lock: at least this share of the C robust pthread mutex, at no more CPU per pair. */
    private static final double TWO_PROCESS_TARGET = 1.0;

    /** Other processes using this share of the CPU capacity during the run disturb the figures. */
    private static final double BUSY_PERCENT = 5;

    private static final String UNCONTENDED = "UncontendedLockBenchmark.";

    private static final String CONTENDED = "ContendedLockBenchmark.";

    private final PrintStream out;

    private final List<String> targets = new ArrayList<>();

    private Report(PrintStream out) {
        this.out = out;
    }

    /**
     * Prints the report to standard output.
     *
     * @param args {@code --jmh file}, {@code --multiprocess file}, optional {@code --load-before}
     * @throws IOException if a results file cannot be read
     */
    public static void main(String[] args) throws IOException {
        Map<String, String> options = options(args);
        Disturbance disturbance = Disturbance.of(options);
        print(
                Path.of(options.getOrDefault("jmh", "jmh.csv")),
                Path.of(options.getOrDefault("multiprocess", "multiprocess.tsv")),
                disturbance,
                System.out);
    }

    /** Reads {@code --name value} pairs into a map keyed by name. */
    static Map<String, String> options(String[] args) {
        Map<String, String> options = new HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            options.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        }
        return options;
    }

    /**
     * What else ran on the machine during the benchmark run.
     *
     * @param loadBefore the load average before the run, or {@code null} if not recorded
     * @param runSeconds how long the run took
     * @param otherCpuSeconds CPU time used by processes outside the run, or -1 if not recorded
     */
    record Disturbance(@Nullable String loadBefore, long runSeconds, long otherCpuSeconds) {

        /** Nothing recorded. */
        static final Disturbance UNKNOWN = new Disturbance(null, 0, -1);

        /** Reads {@code --load-before}, {@code --run-seconds} and {@code --other-cpu-seconds}. */
        static Disturbance of(Map<String, String> options) {
            String runSeconds = options.get("run-seconds");
            String otherSeconds = options.get("other-cpu-seconds");
            return new Disturbance(
                    options.get("load-before"),
                    runSeconds == null ? 0 : Long.parseLong(runSeconds),
                    otherSeconds == null ? -1 : Long.parseLong(otherSeconds));
        }

        /** Returns the share of the machine's CPU capacity that other processes used, in percent. */
        double otherCpuPercent() {
            int cores = Runtime.getRuntime().availableProcessors();
            return runSeconds == 0 ? 0 : 100.0 * otherCpuSeconds / (runSeconds * cores);
        }
    }

    /**
     * Prints the report of one run; a missing results file leaves its table out with a note.
     *
     * @param jmh the JMH CSV result file
     * @param multiprocess the multi-process results file
     * @param disturbance what else ran during the run
     * @param out where to print
     * @throws IOException if a results file cannot be read
     */
    static void print(Path jmh, Path multiprocess, Disturbance disturbance, PrintStream out) throws IOException {
        Report report = new Report(out);
        machine(disturbance, out);
        if (Files.exists(jmh)) {
            report.singleProcess(JmhScores.read(jmh));
        } else {
            out.println("No JMH results at " + jmh + ": the single-process table is missing.\n");
        }
        if (Files.exists(multiprocess)) {
            report.multiProcess(readRounds(multiprocess));
        } else {
            out.println("No multi-process results at " + multiprocess + ": that table is missing.\n");
        }
        report.targets();
    }

    /** Prints the machine and what else ran on it; shared with {@link PostgresReport}. */
    static void machine(Disturbance disturbance, PrintStream out) throws IOException {
        String cpu;
        try (Stream<String> lines = Files.lines(Path.of("/proc/cpuinfo"))) {
            cpu = lines.filter(line -> line.startsWith("model name"))
                    .map(line -> line.substring(line.indexOf(':') + 1).trim())
                    .findFirst()
                    .orElse("unknown CPU");
        }
        out.println("## Machine\n");
        out.printf(
                "- %d cores (%s), %s %s, %s %s (%s)%n",
                Runtime.getRuntime().availableProcessors(),
                cpu,
                System.getProperty("java.vm.name"),
                System.getProperty("java.runtime.version"),
                System.getProperty("os.name"),
                System.getProperty("os.version"),
                System.getProperty("os.arch"));
        if (disturbance.loadBefore() != null) {
            out.printf("- load average (1, 5, 15 min) before the run: %s%n", disturbance.loadBefore());
        }
        if (disturbance.otherCpuSeconds() >= 0) {
            out.printf(
                    Locale.ROOT,
                    "- other processes used %d s of CPU during the %d s run: %.1f %% of the machine%n",
                    disturbance.otherCpuSeconds(),
                    disturbance.runSeconds(),
                    disturbance.otherCpuPercent());
            if (disturbance.otherCpuPercent() >= BUSY_PERCENT) {
                out.printf(
                        Locale.ROOT,
                        "- **Other work took %.0f %% of the cores during the run (%.0f %% or more counts as"
                                + " busy), so these figures are disturbed: rerun on a quiet machine before"
                                + " quoting them.**%n",
                        disturbance.otherCpuPercent(),
                        BUSY_PERCENT);
            }
        }
        out.println();
    }

    private void singleProcess(JmhScores scores) {
        out.println("## One process (JMH, mean ± 99.9 % confidence half-width)\n");
        out.println("| Operation | Subject | ns | vs baseline |");
        out.println("|---|---|---:|---|");
        String pair = "lock()+unlock(), 1 thread";
        Optional<Score> reentrant = scores.get(UNCONTENDED + "reentrantLock", "");
        Optional<Score> fileChannel = scores.get(UNCONTENDED + "fileChannel", "");
        row(pair, "ReentrantLock", reentrant, "baseline");
        row(
                pair,
                "synchronized",
                scores.get(UNCONTENDED + "synchronizedBlock", ""),
                ratio(scores.get(UNCONTENDED + "synchronizedBlock", ""), reentrant, "ReentrantLock"));
        row(pair, "FileChannel.lock()+release()", fileChannel, "baseline");
        for (Backend backend : Backend.values()) {
            boolean file = backend == Backend.FILE;
            Optional<Score> score = scores.get(UNCONTENDED + "interlock", backend.name());
            Optional<Score> baseline = file ? fileChannel : reentrant;
            String baselineName = file ? "FileChannel" : "ReentrantLock";
            row(pair, backend.name(), score, ratio(score, baseline, baselineName));
            double limit = UNCONTENDED_TARGETS.get(backend);
            target(
                    backend.name() + " uncontended pair ≤ " + limit + "× " + baselineName,
                    score.flatMap(s -> baseline.map(b -> s.mean() / b.mean())),
                    r -> r <= limit,
                    r -> String.format(Locale.ROOT, "%.2f×", r));
        }
        contended(scores, "2 threads, one lock", "oneReentrantLock", "oneLock", Set.of(Backend.SHM));
        contended(
                scores,
                "4 threads, one lock",
                "oneReentrantLockFourThreads",
                "oneLockFourThreads",
                Set.of(Backend.SHM));
        contended(
                scores,
                "2 threads, own lock each (IDs 0, 1)",
                "twoReentrantLocks",
                "twoLocks",
                Set.of(Backend.MEMORY, Backend.SHM));
        for (Backend backend : Backend.values()) {
            String fill = backend.bounded() ? "65,535 of 65,536 allocated" : "10,000 allocated";
            Optional<Score> score = scores.get("AllocationBenchmark.allocateAndFree", backend.name());
            row("allocateLock()+free(), " + fill, backend.name(), score, "");
            if (backend == Backend.SHM) {
                target(
                        "SHM allocation on a nearly full 65,536-lock segment < 1 µs",
                        score.map(Score::mean),
                        ns -> ns < SHM_ALLOCATION_TARGET_NANOS,
                        ns -> nanos(ns) + " ns");
            }
        }
        for (Backend backend : Backend.values()) {
            row("retrieveLock(id)", backend.name(), scores.get("LookupBenchmark.retrieveLock", backend.name()), "");
        }
        for (Backend backend : Backend.values()) {
            row(
                    "namedLock(name), 1,000 names bound",
                    backend.name(),
                    scores.get("LookupBenchmark.namedLock", backend.name()),
                    "");
        }
        out.println();
    }

    private void contended(
            JmhScores scores, String operation, String baselineMethod, String method, Set<Backend> targeted) {
        String label = operation + ", per thread";
        Optional<Score> baseline = scores.get(CONTENDED + baselineMethod, "");
        row(label, "ReentrantLock", baseline, "baseline");
        for (Backend backend : Backend.values()) {
            Optional<Score> score = scores.get(CONTENDED + method, backend.name());
            row(label, backend.name(), score, ratio(score, baseline, "ReentrantLock"));
            if (targeted.contains(backend)) {
                target(
                        backend.name() + " " + operation + " ≤ " + THREADS_TARGET + "× ReentrantLock",
                        score.flatMap(s -> baseline.map(b -> s.mean() / b.mean())),
                        r -> r <= THREADS_TARGET,
                        r -> String.format(Locale.ROOT, "%.2f×", r));
            }
        }
    }

    private void row(String operation, String subject, Optional<Score> score, String comparison) {
        if (score.isEmpty()) {
            out.printf("| %s | %s | not measured | |%n", operation, subject);
            return;
        }
        double error = score.get().error();
        out.printf(
                "| %s | %s | %s%s | %s |%n",
                operation,
                subject,
                nanos(score.get().mean()),
                Double.isNaN(error) ? "" : " ± " + nanos(error),
                comparison);
    }

    private static String ratio(Optional<Score> score, Optional<Score> baseline, String baselineName) {
        if (score.isEmpty() || baseline.isEmpty()) {
            return "";
        }
        return String.format(
                Locale.ROOT, "%.2f× %s", score.get().mean() / baseline.get().mean(), baselineName);
    }

    private void multiProcess(List<RoundRecord> records) {
        Map<String, List<RoundRecord>> bySubject = new LinkedHashMap<>();
        for (RoundRecord record : records) {
            bySubject.computeIfAbsent(keyOf(record), k -> new ArrayList<>()).add(record);
        }
        int rounds =
                (int) records.stream().mapToInt(RoundRecord::round).distinct().count();
        out.printf(
                "## Several processes (%d rounds; median [min–max] over rounds; C reference in the same rounds)%n%n",
                rounds);
        out.println("Locks: `one` = every thread of every process on one lock; `own` = a lock per thread. "
                + "CPU = CPU time of the hammering threads per pair. Wait = how long `lock()` took: percentiles are"
                + " medians over rounds, max is the longest of all rounds.\n");
        out.println("| Subject | Locks | Processes × threads | Pairs/s | vs C, same rounds | CPU ns/pair |"
                + " Wait p50 / p99 / p99.9 / max |");
        out.println("|---|---|---|---:|---|---:|---|");
        for (List<RoundRecord> runs : bySubject.values()) {
            RoundRecord first = runs.get(0);
            String reference = first.subject().startsWith("C_")
                    ? null
                    : MultiProcessBenchmark.referenceFor(Backend.valueOf(first.subject()));
            String comparison = "";
            if (reference != null && first.pattern() == LockPattern.ONE && first.threads() == 1) {
                List<Double> ratios = perRoundRatios(runs, records, reference);
                if (!ratios.isEmpty()) {
                    comparison = String.format(
                            Locale.ROOT,
                            "%.2f× [%.2f–%.2f] %s",
                            median(ratios),
                            ratios.stream()
                                    .mapToDouble(Double::doubleValue)
                                    .min()
                                    .orElseThrow(),
                            ratios.stream()
                                    .mapToDouble(Double::doubleValue)
                                    .max()
                                    .orElseThrow(),
                            displayName(reference));
                    if (first.subject().equals(Backend.SHM.name()) && first.processes() == 2) {
                        target(
                                "2-process SHM throughput ≥ " + TWO_PROCESS_TARGET + "× C robust pthread mutex",
                                Optional.of(median(ratios)),
                                r -> r >= TWO_PROCESS_TARGET,
                                r -> String.format(Locale.ROOT, "%.2f×", r));
                        cpuTarget(runs, records, reference);
                    }
                }
            }
            out.printf(
                    "| %s | %s | %d × %d | %s [%s–%s] | %s | %s | %s / %s / %s / %s |%n",
                    displayName(first.subject()),
                    first.pattern() == LockPattern.ONE ? "one" : "own",
                    first.processes(),
                    first.threads(),
                    rate(median(runs, RoundRecord::pairsPerSecond)),
                    rate(runs.stream()
                            .mapToDouble(RoundRecord::pairsPerSecond)
                            .min()
                            .orElseThrow()),
                    rate(runs.stream()
                            .mapToDouble(RoundRecord::pairsPerSecond)
                            .max()
                            .orElseThrow()),
                    comparison,
                    nanos(median(runs, RoundRecord::cpuNanosPerPair)),
                    duration(median(runs, RoundRecord::p50Nanos)),
                    duration(median(runs, RoundRecord::p99Nanos)),
                    duration(median(runs, RoundRecord::p999Nanos)),
                    duration(
                            runs.stream().mapToLong(RoundRecord::maxNanos).max().orElseThrow()));
        }
        out.println();
    }

    /** The 2-process SHM target's second half: CPU per pair (median over rounds) at most the C reference's. */
    private void cpuTarget(List<RoundRecord> runs, List<RoundRecord> all, String reference) {
        List<RoundRecord> references = all.stream()
                .filter(r -> r.subject().equals(reference)
                        && r.processes() == 2
                        && r.threads() == 1
                        && r.pattern() == LockPattern.ONE)
                .toList();
        double ours = median(runs, RoundRecord::cpuNanosPerPair);
        double theirs = median(references, RoundRecord::cpuNanosPerPair);
        target(
                "2-process SHM CPU per pair ≤ C robust pthread mutex's (" + nanos(theirs) + " ns)",
                Optional.of(ours),
                ns -> ns <= theirs,
                ns -> nanos(ns) + " ns");
    }

    /** Each round's throughput divided by the reference's in the same round and process count. */
    private static List<Double> perRoundRatios(List<RoundRecord> runs, List<RoundRecord> all, String reference) {
        List<Double> ratios = new ArrayList<>();
        for (RoundRecord run : runs) {
            all.stream()
                    .filter(r -> r.subject().equals(reference)
                            && r.round() == run.round()
                            && r.processes() == run.processes())
                    .findFirst()
                    .ifPresent(r -> ratios.add(run.pairsPerSecond() / r.pairsPerSecond()));
        }
        return ratios;
    }

    private void target(String name, Optional<Double> value, DoublePredicate met, DoubleFunction<String> format) {
        targets.add(value.map(
                        v -> String.format("- %s: %s — **%s**", name, format.apply(v), met.test(v) ? "met" : "missed"))
                .orElse("- " + name + ": **not measured** (backend or baseline missing from this run)"));
    }

    private void targets() {
        out.println("## Targets\n");
        targets.forEach(out::println);
        out.println();
    }

    /** Reads the rounds of a multi-process results file (a header line, then one round a line). */
    static List<RoundRecord> readRounds(Path file) throws IOException {
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        return lines.subList(1, lines.size()).stream().map(RoundRecord::parse).toList();
    }

    private static String keyOf(RoundRecord record) {
        return record.subject() + "/" + record.pattern() + "/" + record.processes() + "/" + record.threads();
    }

    private static String displayName(String subject) {
        return switch (subject) {
            case "C_PTHREAD" -> "C robust pthread mutex";
            case "C_FCNTL" -> "C fcntl lock";
            default -> subject;
        };
    }

    /** The median of one figure of {@code runs}. */
    static double median(List<RoundRecord> runs, ToDoubleFunction<RoundRecord> figure) {
        return median(runs.stream().map(figure::applyAsDouble).toList());
    }

    static double median(List<Double> values) {
        List<Double> sorted = values.stream().sorted().toList();
        int middle = sorted.size() / 2;
        return sorted.size() % 2 == 1 ? sorted.get(middle) : (sorted.get(middle - 1) + sorted.get(middle)) / 2;
    }

    private static String nanos(double nanos) {
        return nanos < 10
                ? String.format(Locale.ROOT, "%.2f", nanos)
                : nanos < 100 ? String.format(Locale.ROOT, "%.1f", nanos) : String.format(Locale.ROOT, "%,.0f", nanos);
    }

    /** A wait time with the unit that keeps it short: 31 ns, 4.2 µs, 3.9 ms. */
    static String duration(double nanos) {
        if (nanos < 1_000) {
            return String.format(Locale.ROOT, "%.0f ns", nanos);
        }
        return nanos < 1_000_000
                ? String.format(Locale.ROOT, "%.1f µs", nanos / 1e3)
                : String.format(Locale.ROOT, "%.1f ms", nanos / 1e6);
    }

    private static String rate(double pairsPerSecond) {
        return pairsPerSecond >= 1e6
                ? String.format(Locale.ROOT, "%.2f M", pairsPerSecond / 1e6)
                : String.format(Locale.ROOT, "%.0f k", pairsPerSecond / 1e3);
    }
}
