package dev.interlock.benchmarks.multiprocess;

import dev.interlock.Locker;
import dev.interlock.Manager;
import dev.interlock.benchmarks.Backend;
import dev.interlock.benchmarks.BenchmarkStorage;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.LockSupport;

/**
 * How soon a waiter in another process notices a release: the parent holds a lock for 1 to 3 ms
 * while a child JVM waits for it in {@code lock()}, then unlocks; the latency is the child's
 * {@link System#nanoTime()} when {@code lock()} returned minus the parent's just before {@code
 * unlock()} (both read {@code CLOCK_MONOTONIC}, which all processes of a host share). The child
 * also measures the CPU time its thread used while waiting, per millisecond waited, which shows
 * whether a waiter sleeps or polls.
 *
 * <p>Subjects, alternated in every round: {@code FILE} (Interlock's file backend) and {@code
 * FILE_CHANNEL}, {@link FileChannel#lock()} blocking in the kernel ({@code F_SETLKW}), which the
 * kernel wakes directly: the reference for a waiter that neither polls nor burns CPU.
 *
 * <pre>
 * java -cp benchmarks.jar dev.interlock.benchmarks.multiprocess.HandOffBenchmark [rounds [hand-offs per round]]
 * </pre>
 *
 * To compare two builds of lock-core, put the other build's jar first on the class path: the child
 * JVM gets the same class path.
 *
 * @author Interlock team
 * @since 0.1.0
 */
public final class HandOffBenchmark {

    private static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(30);

    private static final List<String> SUBJECTS = List.of("FILE", "FILE_CHANNEL");

    private HandOffBenchmark() {}

    /**
     * Runs the benchmark and prints one line per subject: median, 90th and 99th percentile and
     * maximum latency over all rounds, and the waiter's CPU time per millisecond waited.
     *
     * @param args {@code [rounds [hand-offs per round]]} (default 5 and 200), or {@code child} in
     *     the child JVM
     * @throws Exception if the child fails or does not answer in time
     */
    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("child")) {
            child();
            return;
        }
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        int handOffs = args.length > 1 ? Integer.parseInt(args[1]) : 200;
        for (Result result : run(rounds, handOffs)) {
            System.out.println(result);
        }
    }

    /**
     * Runs {@code rounds} rounds of {@code handOffs} hand-offs per subject against one child JVM.
     *
     * @param rounds rounds; each runs every subject once
     * @param handOffs hand-offs per subject and round
     * @return one result per subject
     * @throws Exception if the child fails or does not answer in time
     */
    public static List<Result> run(int rounds, int handOffs) throws Exception {
        Path scratch = Files.createTempDirectory("interlock-handoff-");
        Path channelFile = scratch.resolve("channel.lock");
        Files.createFile(channelFile);
        Path log = scratch.resolve("child.log");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<Result> results = new ArrayList<>();
        try (BenchmarkStorage storage = Backend.FILE.create(4);
                FileChannel channel = FileChannel.open(channelFile, StandardOpenOption.READ, StandardOpenOption.WRITE);
                ChildProcess child = ChildProcess.start(
                        List.of(
                                java,
                                "-cp",
                                System.getProperty("java.class.path"),
                                HandOffBenchmark.class.getName(),
                                "child"),
                        log)) {
            Locker locker = storage.manager().allocateLock();
            child.send("OPEN " + storage.location() + " " + locker.id() + " " + channelFile);
            child.expect("OPENED", ANSWER_TIMEOUT);
            long[][] latencies = new long[SUBJECTS.size()][rounds * handOffs];
            double[] cpuNanos = new double[SUBJECTS.size()];
            double[] waitedMs = new double[SUBJECTS.size()];
            // Round 0 warms both JVMs up and is not recorded.
            for (int round = -1; round < rounds; round++) {
                for (int s = 0; s < SUBJECTS.size(); s++) {
                    String subject = SUBJECTS.get(s);
                    for (int i = 0; i < handOffs; i++) {
                        java.nio.channels.FileLock held = null;
                        if (subject.equals("FILE")) {
                            locker.lock();
                        } else {
                            held = channel.lock();
                        }
                        child.send("WAIT " + subject);
                        child.expect("WAITING", ANSWER_TIMEOUT);
                        // The hold: long enough that the child is asleep (or polling slowly) when released.
                        LockSupport.parkNanos(ThreadLocalRandom.current().nextLong(1_000_000, 3_000_000));
                        long released = System.nanoTime();
                        if (held == null) {
                            locker.unlock();
                        } else {
                            held.release();
                        }
                        String[] answer =
                                child.expect("ACQUIRED", ANSWER_TIMEOUT).split(" ");
                        long acquired = Long.parseLong(answer[1]);
                        if (round >= 0) {
                            latencies[s][round * handOffs + i] = acquired - released;
                            cpuNanos[s] += Long.parseLong(answer[2]);
                            waitedMs[s] += Long.parseLong(answer[3]) / 1e6;
                        }
                    }
                }
            }
            child.send("EXIT");
            for (int s = 0; s < SUBJECTS.size(); s++) {
                results.add(new Result(SUBJECTS.get(s), latencies[s], cpuNanos[s] / 1e3 / waitedMs[s]));
            }
        } finally {
            Files.deleteIfExists(channelFile);
            Files.deleteIfExists(log);
            Files.deleteIfExists(scratch);
        }
        return results;
    }

    /**
     * The hand-offs of one subject.
     *
     * @param subject {@code FILE} or {@code FILE_CHANNEL}
     * @param latenciesNanos release-to-acquisition latency of every recorded hand-off
     * @param cpuMicrosPerMilli CPU time the waiting thread used per millisecond it waited, in µs
     */
    public record Result(String subject, long[] latenciesNanos, double cpuMicrosPerMilli) {

        /**
         * Returns a percentile of the latencies.
         *
         * @param percent 0 to 100
         * @return the latency in nanoseconds at that rank
         */
        public long percentile(double percent) {
            long[] sorted = latenciesNanos.clone();
            Arrays.sort(sorted);
            int rank = (int) Math.ceil(percent / 100 * sorted.length) - 1;
            return sorted[Math.max(0, Math.min(sorted.length - 1, rank))];
        }

        @Override
        public String toString() {
            return String.format(
                    Locale.ROOT,
                    "%-12s hand-offs %d  latency p50 %.1f us  p90 %.1f us  p99 %.1f us  max %.1f us"
                            + "  waiter CPU %.1f us per ms waited",
                    subject,
                    latenciesNanos.length,
                    percentile(50) / 1e3,
                    percentile(90) / 1e3,
                    percentile(99) / 1e3,
                    percentile(100) / 1e3,
                    cpuMicrosPerMilli);
        }
    }

    /** The child: opens both subjects, then waits for one per {@code WAIT} line and reports. */
    private static void child() throws IOException {
        PrintStream out = System.out;
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        Manager manager = null;
        Locker locker = null;
        FileChannel channel = null;
        try {
            String line;
            while ((line = in.readLine()) != null && !line.equals("EXIT")) {
                String[] words = line.split(" ");
                if (words[0].equals("OPEN")) {
                    manager = Backend.FILE.open(words[1], 4);
                    locker = manager.retrieveLock(Integer.parseInt(words[2]));
                    channel = FileChannel.open(Path.of(words[3]), StandardOpenOption.READ, StandardOpenOption.WRITE);
                    out.println("OPENED");
                } else if (words[0].equals("WAIT") && locker != null && channel != null) {
                    out.println("WAITING");
                    out.flush();
                    long cpuBefore = threads.getCurrentThreadCpuTime();
                    long called = System.nanoTime();
                    java.nio.channels.FileLock held = null;
                    if (words[1].equals("FILE")) {
                        locker.lock();
                    } else {
                        held = channel.lock();
                    }
                    long acquired = System.nanoTime();
                    long cpu = threads.getCurrentThreadCpuTime() - cpuBefore;
                    if (held == null) {
                        locker.unlock();
                    } else {
                        held.release();
                    }
                    out.println("ACQUIRED " + acquired + " " + cpu + " " + (acquired - called));
                } else {
                    throw new IllegalArgumentException("Unknown command '" + line + "'; expected OPEN, WAIT or EXIT");
                }
                out.flush();
            }
        } finally {
            if (channel != null) {
                channel.close();
            }
            if (manager != null) {
                manager.close();
            }
        }
    }
}
