package dev.interlock.benchmarks.multiprocess;

import dev.interlock.benchmarks.Backend;
import dev.interlock.benchmarks.BenchmarkStorage;
import dev.interlock.benchmarks.PostgresServer;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import org.slf4j.LoggerFactory;

/**
 * The multi-process benchmark: P processes × T threads hammering one lock, and a lock each, for a
 * fixed short time, per backend, with the C reference (podman's robust pthread mutex, and {@code
 * fcntl} record locks) run in the same rounds. Two processes on one lock swing by about 3× from
 * round to round on a 2-core machine, so every subject runs once per round, side by side, and the
 * report takes medians over rounds. Round 0 warms the child JVMs up and is not recorded.
 *
 * <p>Java subjects run in long-lived child JVMs ({@link HammerChild}), one per process; the C
 * reference ({@code lockref}) is started anew for each run, as it has nothing to warm up.
 *
 * <p>{@code --postgres} adds {@link PostgresSubject}s, Interlock's PostgreSQL backend and its
 * peers, on the server {@link PostgresServer#find()} finds; {@code --backends ""} leaves the local
 * backends out.
 *
 * <pre>
 * java -cp benchmarks.jar dev.interlock.benchmarks.multiprocess.MultiProcessBenchmark \
 *     --rounds 10 --duration-ms 250 --processes 1,2,4 --threads 1,2 --backends MEMORY,... \
 *     [--postgres POSTGRESQL,JDBC_LOCK_REGISTRY,SHEDLOCK] [--patterns ONE,MANY] \
 *     [--lockref path/to/lockref] --out results.tsv --log children.log
 * </pre>
 *
 * <p>Next to {@code --out} it writes each process's own figures of every run ({@link
 * ProcessRecord}), to {@code results-processes.tsv} for {@code results.tsv}.
 *
 * @author Interlock team
 * @since 0.1.0
 */
public final class MultiProcessBenchmark {

    /** Locks in each backend's storage: enough for a lock per thread at the largest P × T. */
    private static final int NUM_LOCKS = 64;

    private static final Duration PREPARE_TIMEOUT = Duration.ofSeconds(30);

    /** How much longer than the run a child may take to report; past that it counts as wedged. */
    private static final Duration RESULT_GRACE = Duration.ofSeconds(60);

    private final Settings settings;

    private final List<ChildProcess> javaChildren = new ArrayList<>();

    private final Map<Backend, BenchmarkStorage> storages = new EnumMap<>(Backend.class);

    private final Map<PostgresSubject, String> postgresLocations = new EnumMap<>(PostgresSubject.class);

    private @Nullable PostgresServer postgresServer;

    private final String pthreadSegment =
            "/interlock-bench-cref-" + ProcessHandle.current().pid();

    private final Path scratch;

    private MultiProcessBenchmark(Settings settings) throws IOException {
        this.settings = settings;
        this.scratch = Files.createTempDirectory("interlock-bench-mp-");
    }

    /**
     * Runs the benchmark and writes one {@link RoundRecord} line per subject and round.
     *
     * @param args the options shown in the class description
     * @throws Exception if a child fails or does not answer in time
     */
    public static void main(String[] args) throws Exception {
        MultiProcessBenchmark benchmark = new MultiProcessBenchmark(Settings.parse(args));
        Thread cleanup = new Thread(benchmark::abort, "stop benchmark children, remove storage");
        Runtime.getRuntime().addShutdownHook(cleanup);
        try {
            benchmark.run();
        } finally {
            benchmark.close();
            Runtime.getRuntime().removeShutdownHook(cleanup);
        }
    }

    private void run() throws Exception {
        for (Backend backend : settings.backends()) {
            if (backend.multiprocess()) {
                BenchmarkStorage storage = backend.create(NUM_LOCKS);
                synchronized (this) {
                    storages.put(backend, storage);
                }
            }
        }
        if (!settings.postgres().isEmpty()) {
            PostgresServer server = PostgresServer.find();
            synchronized (this) {
                postgresServer = server;
            }
            System.out.println("PostgreSQL subjects on " + server.description());
            for (PostgresSubject subject : settings.postgres()) {
                String location = subject.create(server.url(), NUM_LOCKS);
                synchronized (this) {
                    postgresLocations.put(subject, location);
                }
            }
        }
        int maxProcesses =
                settings.processes().stream().mapToInt(Integer::intValue).max().orElse(1);
        for (int i = 0; i < maxProcesses; i++) {
            javaChildren.add(ChildProcess.start(javaChildCommand(), settings.log()));
        }
        if (settings.lockref() != null) {
            runLockref("init", pthreadSegment);
        }
        try (BufferedWriter out = Files.newBufferedWriter(settings.out(), StandardCharsets.UTF_8);
                BufferedWriter perProcess = Files.newBufferedWriter(settings.perProcessOut(), StandardCharsets.UTF_8)) {
            out.write(RoundRecord.HEADER + "\n");
            perProcess.write(ProcessRecord.HEADER + "\n");
            for (int round = 0; round <= settings.rounds(); round++) {
                long began = System.nanoTime();
                List<ProcessRecord> processRecords = new ArrayList<>();
                for (RoundRecord record : runRound(round, processRecords)) {
                    if (round > 0) {
                        out.write(record.toTsv() + "\n");
                    }
                }
                if (round > 0) {
                    for (ProcessRecord record : processRecords) {
                        perProcess.write(record.toTsv() + "\n");
                    }
                }
                out.flush();
                perProcess.flush();
                System.out.printf(
                        "multi-process round %d/%d%s: %.1f s%n",
                        round,
                        settings.rounds(),
                        round == 0 ? " (warm-up, not recorded)" : "",
                        (System.nanoTime() - began) / 1e9);
            }
        }
    }

    /**
     * Every subject once, C reference next to the backend it is the reference for; adds each
     * run's per-process figures to {@code perProcess}.
     */
    private List<RoundRecord> runRound(int round, List<ProcessRecord> perProcess) throws Exception {
        List<RoundRecord> records = new ArrayList<>();
        for (int processes : settings.processes()) {
            for (Backend backend : settings.backends()) {
                if (!backend.multiprocess() && processes > 1) {
                    continue;
                }
                String reference = referenceFor(backend);
                if (reference != null && settings.lockref() != null) {
                    records.add(runC(round, reference, processes, perProcess));
                }
                BenchmarkStorage storage = storages.get(backend);
                runJava(
                        records,
                        perProcess,
                        round,
                        backend.name(),
                        storage == null ? "-" : storage.location(),
                        processes);
            }
            for (PostgresSubject subject : settings.postgres()) {
                runJava(records, perProcess, round, subject.name(), postgresLocations.get(subject), processes);
            }
        }
        return records;
    }

    /**
     * Returns the C reference that does with podman's primitives what {@code backend} does.
     *
     * @param backend the backend
     * @return the reference's subject name, or {@code null} if there is none
     */
    public static @Nullable String referenceFor(Backend backend) {
        return switch (backend) {
            case SHM -> "C_PTHREAD";
            case FILE -> "C_FCNTL";
            case MEMORY -> null;
        };
    }

    /** One subject in every thread count and pattern. */
    private void runJava(
            List<RoundRecord> records,
            List<ProcessRecord> perProcess,
            int round,
            String subject,
            String location,
            int processes)
            throws InterruptedException {
        for (int threads : settings.threads()) {
            for (LockPattern pattern : settings.patterns()) {
                records.add(runJava(round, subject, location, pattern, processes, threads, perProcess));
            }
        }
    }

    private RoundRecord runJava(
            int round,
            String subject,
            String location,
            LockPattern pattern,
            int processes,
            int threads,
            List<ProcessRecord> perProcess)
            throws InterruptedException {
        List<ChildProcess> children = javaChildren.subList(0, processes);
        for (int i = 0; i < processes; i++) {
            children.get(i)
                    .send(String.join(
                            " ",
                            "PREPARE",
                            subject,
                            location,
                            String.valueOf(NUM_LOCKS),
                            pattern.name(),
                            String.valueOf(threads),
                            String.valueOf(settings.duration().toMillis()),
                            String.valueOf(i * threads)));
        }
        List<HammerResult> results = hammer(children);
        perProcess.addAll(ProcessRecord.of(round, subject, pattern, threads, results));
        return RoundRecord.of(round, subject, pattern, threads, results);
    }

    private RoundRecord runC(int round, String reference, int processes, List<ProcessRecord> perProcess)
            throws InterruptedException {
        String mode = reference.equals("C_PTHREAD") ? "pthread" : "fcntl";
        String target = mode.equals("pthread")
                ? pthreadSegment
                : scratch.resolve("fcntl.lock").toString();
        List<ChildProcess> children = new ArrayList<>();
        try {
            for (int i = 0; i < processes; i++) {
                children.add(ChildProcess.start(
                        List.of(
                                String.valueOf(settings.lockref()),
                                mode,
                                target,
                                "1",
                                String.valueOf(settings.duration().toMillis())),
                        settings.log()));
            }
            List<HammerResult> results = hammer(children);
            perProcess.addAll(ProcessRecord.of(round, reference, LockPattern.ONE, 1, results));
            return RoundRecord.of(round, reference, LockPattern.ONE, 1, results);
        } finally {
            for (ChildProcess child : children) {
                child.close();
            }
        }
    }

    /** Waits until every child is prepared, releases them together, and collects their results. */
    private List<HammerResult> hammer(List<ChildProcess> children) throws InterruptedException {
        for (ChildProcess child : children) {
            child.expect("PREPARED", PREPARE_TIMEOUT);
        }
        for (ChildProcess child : children) {
            child.send("GO");
        }
        List<HammerResult> results = new ArrayList<>();
        for (ChildProcess child : children) {
            results.add(HammerResult.parse(
                    child.expect(HammerResult.PREFIX, settings.duration().plus(RESULT_GRACE))));
        }
        return results;
    }

    private List<String> javaChildCommand() {
        String java = ProcessHandle.current()
                .info()
                .command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        // A small serial-GC heap: the hammering loop allocates nothing, and fewer GC threads
        // leave the 2 cores to the threads being measured.
        return List.of(
                java,
                "-Xmx128m",
                "-XX:+UseSerialGC",
                "-cp",
                System.getProperty("java.class.path"),
                HammerChild.class.getName());
    }

    private void runLockref(String command, String argument) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(String.valueOf(settings.lockref()), command, argument)
                .redirectErrorStream(true)
                .start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (process.waitFor() != 0) {
            throw new IllegalStateException("lockref " + command + " " + argument + " failed: " + output.trim());
        }
    }

    /** On Ctrl-C or SIGTERM: kill the children and remove the storage, so nothing is left behind. */
    private void abort() {
        javaChildren.forEach(ChildProcess::kill);
        try {
            removeStorage();
        } catch (IOException | InterruptedException | RuntimeException ex) {
            LoggerFactory.getLogger(MultiProcessBenchmark.class)
                    .warn(
                            "Could not remove all benchmark storage while stopping; look in /dev/shm and {}",
                            scratch,
                            ex);
        }
    }

    private void close() throws IOException, InterruptedException {
        for (ChildProcess child : javaChildren) {
            try {
                child.send("EXIT");
            } catch (UncheckedIOException ex) {
                // The child is gone already (its failure was reported); close() reaps it.
            }
            child.close();
        }
        removeStorage();
    }

    /** Removes every segment, directory and file this benchmark made; safe to call twice. */
    private synchronized void removeStorage() throws IOException, InterruptedException {
        storages.values().forEach(BenchmarkStorage::close);
        storages.clear();
        postgresLocations.forEach(PostgresSubject::remove);
        postgresLocations.clear();
        if (postgresServer != null) {
            postgresServer.close();
            postgresServer = null;
        }
        if (settings.lockref() != null && Files.exists(Path.of("/dev/shm", pthreadSegment))) {
            runLockref("unlink", pthreadSegment);
        }
        Files.deleteIfExists(scratch.resolve("fcntl.lock"));
        Files.deleteIfExists(scratch);
    }

    /** The command-line options. */
    record Settings(
            int rounds,
            Duration duration,
            List<Integer> processes,
            List<Integer> threads,
            List<Backend> backends,
            List<PostgresSubject> postgres,
            List<LockPattern> patterns,
            @Nullable Path lockref,
            Path out,
            Path log) {

        /** The per-process results file ({@link ProcessRecord}s) next to {@code out}. */
        Path perProcessOut() {
            return ProcessRecord.fileNextTo(out);
        }

        static Settings parse(String[] args) {
            Map<String, String> options = new HashMap<>();
            for (int i = 0; i + 1 < args.length; i += 2) {
                if (!args[i].startsWith("--")) {
                    throw new IllegalArgumentException(
                            "Expected an option like --rounds, got '" + args[i] + "' in " + Arrays.toString(args));
                }
                options.put(args[i].substring(2), args[i + 1]);
            }
            String lockref = options.get("lockref");
            return new Settings(
                    Integer.parseInt(options.getOrDefault("rounds", "10")),
                    Duration.ofMillis(Long.parseLong(options.getOrDefault("duration-ms", "250"))),
                    integers(options.getOrDefault("processes", "1,2,4")),
                    integers(options.getOrDefault("threads", "1,2")),
                    names(options.getOrDefault("backends", allBackends()), Backend::valueOf),
                    names(options.getOrDefault("postgres", ""), PostgresSubject::valueOf),
                    names(options.getOrDefault("patterns", "ONE,MANY"), LockPattern::valueOf),
                    lockref == null ? null : Path.of(lockref),
                    Path.of(options.getOrDefault("out", "multiprocess.tsv")),
                    Path.of(options.getOrDefault("log", "multiprocess-children.log")));
        }

        /** A comma-separated list of names, empty for an empty string. */
        private static <T> List<T> names(String list, Function<String, T> valueOf) {
            return Arrays.stream(list.split(","))
                    .filter(name -> !name.isBlank())
                    .map(valueOf)
                    .toList();
        }

        private static List<Integer> integers(String list) {
            return Arrays.stream(list.split(",")).map(Integer::valueOf).toList();
        }

        private static String allBackends() {
            return Arrays.stream(Backend.values()).map(Backend::name).collect(Collectors.joining(","));
        }
    }
}
