package dev.interlock.samples.counter;

import dev.interlock.HeldLock;
import dev.interlock.LockStorageException;
import dev.interlock.Manager;
import dev.interlock.memory.InMemoryManager;
import dev.interlock.postgresql.PostgresLockManager;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;

/**
 * One run of the demo's job: starts the worker processes, lets them increment the counter
 * together, kills worker 1 with {@code SIGKILL} while it holds the lock, and reports the count,
 * the throughput, the waits and how long the others took to get the lock from the dead holder.
 *
 * <p>The expected count is exact by design: the worker to kill announces, from inside the
 * critical section and before it writes, how many increments it has written; the job kills it
 * there, so its unfinished increment never reaches the file.
 *
 * <p>With the PostgreSQL backend worker 1 is <b>frozen</b> instead ({@code SIGSTOP}), as a long GC
 * pause or a suspended VM would freeze it: the server ends its silent session after the session
 * timeout, another worker takes the lock over, and once it has, the job resumes worker 1 ({@code
 * SIGCONT}). Worker 1 learns that it lost the lock, and its late write is refused by the counter,
 * which accepts only fencing tokens greater than the last one; it retries the increment under a new
 * hold, so the count is every worker's increments, exactly.
 *
 * @author Interlock team
 */
final class DemoJob {

    /** Exit code when the count is exact and every worker did its part. */
    static final int EXACT = 0;

    /** Exit code when the count is wrong or a worker failed. */
    static final int WRONG = 1;

    /** Exit code when the workers did not start or did not finish in time. */
    static final int STUCK = 2;

    private static final int VICTIM = 1;

    private static final Duration KILL_WAIT = Duration.ofSeconds(10);

    /** How long the job lets the others work after the takeover before it resumes the frozen worker. */
    private static final long RESUME_AFTER_NANOS = TimeUnit.SECONDS.toNanos(1);

    private static final long PROGRESS_INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(250);

    private final DemoProperties properties;

    private final Manager manager;

    private final PrintStream out;

    private final Path runDir;

    private final BlockingQueue<WorkerProcess.Event> events = new LinkedBlockingQueue<>();

    private final List<WorkerProcess> workers = new ArrayList<>();

    private final int[] progress;

    private final int[] doneReported;

    private final long[] recoveries;

    private final int[] exitCodes;

    private final boolean[] ended;

    /** Increments per worker. */
    private final int increments;

    private final long holdAt;

    private final long deadlineNanos;

    private int ready;

    private long goAtMicros;

    private long goAtNanos;

    /** Increments the killed worker wrote, or -1 until it announced that it holds the lock. */
    private int victimDone = -1;

    private long killedAtMicros;

    /** Whether the holder is frozen rather than killed: with a backend whose server ends silent sessions. */
    private final boolean freeze;

    /** When the holder was frozen, or 0 until then. */
    private long frozenAtNanos;

    /** The other workers' progress when the holder was frozen. */
    private int progressAtFreeze;

    /** When another worker was seen to make progress after the freeze, or 0 until then. */
    private long takenOverAtNanos;

    private boolean resumed;

    /** The frozen holder's refused write: value, token and the counter's last token; empty until then. */
    private long[] refused = new long[0];

    private boolean lostReported;

    DemoJob(DemoProperties properties, Manager manager, PrintStream out, Path runDir) {
        this.properties = properties;
        this.manager = manager;
        this.out = out;
        this.runDir = runDir;
        int count = properties.getWorkers() + 1; // indexed by worker number, from 1
        this.progress = new int[count];
        this.doneReported = new int[count];
        this.recoveries = new long[count];
        this.exitCodes = new int[count];
        this.ended = new boolean[count];
        Arrays.fill(doneReported, -1);
        // Kill a quarter of the way through, while every other worker still has work to do.
        this.freeze = manager instanceof PostgresLockManager;
        this.increments = properties.increments(freeze);
        this.holdAt = (long) properties.getWorkers() * increments / 4;
        this.deadlineNanos = System.nanoTime() + properties.getTimeout().toNanos();
    }

    /**
     * Runs the job and prints its report.
     *
     * @param workerCommand the command line that starts a worker, without the worker's own
     *     {@code --demo.*} arguments
     * @return {@link #EXACT}, {@link #WRONG} or {@link #STUCK}
     */
    int run(List<String> workerCommand) {
        try {
            printHeader();
            for (int number = 1; number <= properties.getWorkers(); number++) {
                workers.add(WorkerProcess.start(number, commandFor(number, workerCommand), events));
            }
            if (!awaitReady()) {
                return STUCK;
            }
            goAtMicros = epochMicros();
            goAtNanos = System.nanoTime();
            workers.forEach(worker -> worker.send(WorkerProtocol.GO));
            if (!awaitEnd()) {
                return STUCK;
            }
            return report();
        } finally {
            workers.forEach(WorkerProcess::close);
        }
    }

    private void printHeader() {
        printf(
                "Interlock counter demo: %d worker processes each add 1 to one counter file %,d times,"
                        + " under @WithLock(name = \"%s\")%n",
                properties.getWorkers(), increments, LockedCounter.LOCK_NAME);
        if (freeze) {
            printf(
                    "  backend:  %s, lock space '%s' in a PostgreSQL database: shared across hosts; every write"
                            + " carries the hold's fencing token, and the counter refuses a token not greater"
                            + " than the last%n",
                    backendName(), ((PostgresLockManager) manager).lockSpace());
        } else if (isMultiprocess()) {
            printf("  backend:  %s, shared by the processes of this user on this host%n", backendName());
        } else {
            printf("  backend:  %s%n", backendName());
            out.println("  WARNING:  the in-memory backend keeps its locks inside one JVM: it cannot coordinate");
            out.println("            processes. Each worker locks a private lock of its own, the workers overwrite");
            out.println("            each other's increments, and the count will most likely be wrong. Run with");
            out.println("            --interlock.backend=shm (Linux) or --interlock.backend=file to see processes");
            out.println("            coordinate.");
        }
        printf("  counter:  %s%n", runDir.resolve(CounterDemoApplication.COUNTER_FILE));
        if (freeze) {
            printf(
                    "  the freeze: worker %d will be frozen with SIGSTOP while it holds the lock, once the count"
                            + " reaches %,d; the server ends its silent session after the session timeout (%.1f s),"
                            + " another worker takes over, then worker %d is resumed with SIGCONT%n",
                    VICTIM,
                    holdAt,
                    ((PostgresLockManager) manager).options().sessionTimeout().toMillis() / 1e3,
                    VICTIM);
        } else {
            printf(
                    "  the kill: worker %d will be killed with SIGKILL while it holds the lock, once the count"
                            + " reaches %,d%n",
                    VICTIM, holdAt);
        }
        printf("starting %d worker JVMs...%n", properties.getWorkers());
    }

    private List<String> commandFor(int number, List<String> workerCommand) {
        List<String> command = new ArrayList<>(workerCommand);
        command.add("--demo.work-dir=" + runDir);
        command.add("--demo.increments=" + increments);
        command.add("--demo.worker.number=" + number);
        command.add("--demo.worker.hold-at=" + (number == VICTIM ? holdAt : -1));
        return command;
    }

    private boolean awaitReady() {
        long startedNanos = System.nanoTime();
        while (ready < properties.getWorkers()) {
            WorkerProcess.Event event = nextEvent(deadlineNanos);
            if (event == null) {
                return timedOut("while the workers were starting");
            }
            if (event.line() == null) {
                handle(event);
                printf(
                        "worker %d exited with code %d before it was ready; its output is above%n",
                        event.number(), exitCodes[event.number()]);
                return false;
            }
            handle(event);
        }
        printf(
                "%d workers ready after %.1f s, pids %s; go%n",
                ready,
                (System.nanoTime() - startedNanos) / 1e9,
                workers.stream().map(worker -> String.valueOf(worker.pid())).collect(Collectors.joining(", ")));
        return true;
    }

    private boolean awaitEnd() {
        long nextProgressNanos = System.nanoTime() + PROGRESS_INTERVAL_NANOS;
        int lastPrinted = -1;
        while (!allEnded()) {
            WorkerProcess.Event event = nextEvent(Math.min(nextProgressNanos, deadlineNanos));
            if (event != null) {
                handle(event);
            }
            long now = System.nanoTime();
            if (now >= deadlineNanos) {
                return timedOut("while the workers were incrementing");
            }
            if (frozenAtNanos != 0 && !resumed) {
                watchFrozenHolder(now);
            }
            if (now >= nextProgressNanos) {
                lastPrinted = printProgress(lastPrinted);
                nextProgressNanos = now + PROGRESS_INTERVAL_NANOS;
            }
        }
        printProgress(lastPrinted);
        return true;
    }

    /** Prints the progress line unless the count is the one printed last; returns the count. */
    private int printProgress(int lastPrinted) {
        int count = Arrays.stream(progress).sum();
        if (count != lastPrinted) {
            printf("  %5.1f s %,9d increments%s%n", (System.nanoTime() - goAtNanos) / 1e9, count, holderText());
        }
        return count;
    }

    private void handle(WorkerProcess.Event event) {
        int number = event.number();
        String line = event.line();
        if (line == null) {
            ended[number] = true;
            exitCodes[number] = worker(number).exitCode();
            return;
        }
        String[] words = line.split(" ");
        switch (words[0]) {
            case WorkerProtocol.READY -> ready++;
            case WorkerProtocol.PROGRESS -> progress[number] = Integer.parseInt(words[1]);
            case WorkerProtocol.DONE -> {
                doneReported[number] = Integer.parseInt(words[1]);
                recoveries[number] = Long.parseLong(words[2]);
                progress[number] = doneReported[number];
            }
            case WorkerProtocol.HOLDING -> {
                if (freeze) {
                    freezeHolder(
                            number, Integer.parseInt(words[1]), Long.parseLong(words[2]), Long.parseLong(words[3]));
                } else {
                    killHolder(number, Integer.parseInt(words[1]), Long.parseLong(words[2]));
                }
            }
            case WorkerProtocol.REFUSED -> {
                refused = new long[] {Long.parseLong(words[1]), Long.parseLong(words[2]), Long.parseLong(words[3])};
                printf(
                        "  %5.1f s worker %d's late write of %,d with fencing token %d was REFUSED: the counter was"
                                + " last written with token %d by the worker that took over; it reads the counter"
                                + " again under a new hold%n",
                        elapsed(), number, refused[0], refused[1], refused[2]);
            }
            case WorkerProtocol.LOST -> {
                lostReported = true;
                printf(
                        "  %5.1f s worker %d learned that it lost the lock (token %s): %s%n",
                        elapsed(), number, words[1], line.substring(line.indexOf(' ', line.indexOf(' ') + 1) + 1));
            }
            default -> printf("  [worker %d] %s%n", number, line);
        }
    }

    /**
     * Freezes the worker that holds the lock with {@code SIGSTOP}: it keeps its server session
     * open but silent, as a long GC pause or a suspended VM would.
     */
    private void freezeHolder(int number, int done, long countRead, long token) {
        WorkerProcess holder = worker(number);
        victimDone = done;
        progress[number] = done;
        printf(
                "  %5.1f s worker %d (pid %d) holds the lock with fencing token %d: it read %,d and is about to"
                        + " write %,d; sending SIGSTOP%n",
                elapsed(), number, holder.pid(), token, countRead, countRead + 1);
        progressAtFreeze = othersProgress();
        killedAtMicros = epochMicros();
        frozenAtNanos = System.nanoTime();
        holder.signal("STOP");
    }

    /**
     * Notices the takeover (another worker made progress after the freeze), and a second later
     * resumes the frozen worker with {@code SIGCONT} and lets it go on with its write.
     */
    private void watchFrozenHolder(long now) {
        if (takenOverAtNanos == 0 && othersProgress() > progressAtFreeze) {
            takenOverAtNanos = now;
            printf(
                    "  %5.1f s the other workers are incrementing again, %.1f s after the freeze: the server ended"
                            + " worker %d's silent session and released its lock, and another worker took it with a"
                            + " greater fencing token%n",
                    elapsed(), (now - frozenAtNanos) / 1e9, VICTIM);
        }
        if (takenOverAtNanos != 0 && now - takenOverAtNanos >= RESUME_AFTER_NANOS) {
            resumed = true;
            WorkerProcess holder = worker(VICTIM);
            printf(
                    "  %5.1f s sending SIGCONT to worker %d (pid %d): it goes on with its write, late%n",
                    elapsed(), VICTIM, holder.pid());
            holder.signal("CONT");
            holder.send(WorkerProtocol.RESUME);
        }
    }

    private int othersProgress() {
        int sum = 0;
        for (int number = 1; number <= properties.getWorkers(); number++) {
            if (number != VICTIM) {
                sum += progress[number];
            }
        }
        return sum;
    }

    private double elapsed() {
        return (System.nanoTime() - goAtNanos) / 1e9;
    }

    private void killHolder(int number, int done, long countRead) {
        WorkerProcess holder = worker(number);
        victimDone = done;
        progress[number] = done;
        printf(
                "  %5.1f s worker %d (pid %d) holds the lock: it read %,d and has written %,d increments;"
                        + " sending SIGKILL%n",
                (System.nanoTime() - goAtNanos) / 1e9, number, holder.pid(), countRead, done);
        killedAtMicros = epochMicros();
        if (!holder.kill(KILL_WAIT)) {
            printf(
                    "  worker %d (pid %d) is still alive %d s after SIGKILL%n",
                    number, holder.pid(), KILL_WAIT.toSeconds());
        }
    }

    private String holderText() {
        if (!isMultiprocess()) {
            return "";
        }
        try {
            // Read the name's binding without binding it: the workers bind and free it as temporary name locks.
            Integer id = manager.lockNames().get(LockedCounter.LOCK_NAME);
            if (id == null) {
                return "";
            }
            return manager.locksHeld().stream()
                    .filter(held -> held.id() == id)
                    .findFirst()
                    .map(this::describeHolder)
                    .orElse("");
        } catch (LockStorageException ex) {
            return "   (holder unknown: " + ex.getMessage() + ")"; // With PostgreSQL: the job's session was lost.
        }
    }

    private String describeHolder(HeldLock held) {
        if (held.ownerPid().isEmpty()) {
            return "   lock held";
        }
        long pid = held.ownerPid().getAsLong();
        String who = workers.stream()
                .filter(worker -> worker.pid() == pid)
                .findFirst()
                .map(worker -> " (worker " + worker.number() + (worker.isAlive() ? ")" : ", dead)"))
                .orElse("");
        return "   lock held by pid " + pid + who;
    }

    private int report() {
        boolean workersOk = checkWorkers();
        long actual = new CounterFile(runDir.resolve(CounterDemoApplication.COUNTER_FILE)).read();
        int survivors = properties.getWorkers() - 1;
        long expected = freeze
                ? (long) properties.getWorkers() * increments
                : (long) survivors * increments + Math.max(victimDone, 0);
        boolean exact = actual == expected;
        out.println("result");
        if (freeze) {
            printf(
                    "  count:      expected %,d (%d workers x %,d; the frozen worker's refused write is not counted,"
                            + " it made that increment again under a new hold), actual %,d: %s%n",
                    expected,
                    properties.getWorkers(),
                    increments,
                    actual,
                    exact ? "exact" : "WRONG, " + describeDifference(expected - actual));
            if (refused.length > 0) {
                printf(
                        "  fencing:    worker %d's late write with token %d was refused (last token %d)%n",
                        VICTIM, refused[1], refused[2]);
            }
        } else {
            printf(
                    "  count:      expected %,d (%d workers x %,d, plus %,d written by worker %d before it was"
                            + " killed; its unfinished increment is not counted), actual %,d: %s%n",
                    expected,
                    survivors,
                    increments,
                    Math.max(victimDone, 0),
                    VICTIM,
                    actual,
                    exact ? "exact" : "WRONG, " + describeDifference(expected - actual));
        }
        SurvivorSamples samples = SurvivorSamples.combine(readSurvivorSamples(), killedAtMicros);
        if (samples.sortedWaitNanos().length > 0) {
            printMeasurements(expected, samples);
        }
        if (!exact && !isMultiprocess()) {
            out.println("The count is wrong because the in-memory backend cannot coordinate processes; this is"
                    + " what Interlock's shm and file backends prevent.");
        }
        return exact && workersOk ? EXACT : WRONG;
    }

    /** Reads the samples of every worker that finished, that is every one but the killed one. */
    private Map<Integer, WorkerSamples> readSurvivorSamples() {
        Map<Integer, WorkerSamples> samples = new TreeMap<>();
        for (int number = 1; number <= properties.getWorkers(); number++) {
            if (number != VICTIM && doneReported[number] >= 0) {
                samples.put(number, WorkerSamples.readFrom(WorkerProtocol.samplesFile(runDir, number)));
            }
        }
        return samples;
    }

    private void printMeasurements(long increments, SurvivorSamples samples) {
        double seconds = Math.max(samples.lastAcquiredMicros() - goAtMicros, 1) / 1e6;
        printf(
                "  throughput: %,d increments in %.2f s = %,.0f increments/s (lock, read, write, unlock)%n",
                increments, seconds, increments / seconds);
        printf(
                "  lock wait:  p50 %s, p90 %s, p99 %s, max %s (%,d increments of the %d surviving workers)%n",
                millis(samples.waitPercentile(0.50)),
                millis(samples.waitPercentile(0.90)),
                millis(samples.waitPercentile(0.99)),
                millis(samples.maxWait()),
                samples.sortedWaitNanos().length,
                samples.workers());
        if (!isMultiprocess()) {
            out.println("  recovery:   not measured: with the in-memory backend no other process ever waited for the"
                    + " killed worker's lock");
        } else if (samples.recoveredBy() < 0) {
            out.println("  recovery:   not observed: no other worker took the lock after the kill");
        } else {
            printf(
                    "  recovery:   worker %d (pid %d) got the lock %s after worker %d (pid %d) was %s holding it%s%n",
                    samples.recoveredBy(),
                    worker(samples.recoveredBy()).pid(),
                    millis((samples.recoveredAtMicros() - killedAtMicros) * 1000),
                    VICTIM,
                    worker(VICTIM).pid(),
                    freeze ? "frozen" : "killed",
                    describeRecoveries());
        }
    }

    /**
     * Describes what the workers' {@code interlock.lock.recoveries} meters counted: the shared-memory
     * backend takes a dead holder's lock over and counts it, while the file backend needs no
     * recovery because the kernel drops a dead process's file locks.
     */
    private String describeRecoveries() {
        long total = 0;
        for (int number = 1; number <= properties.getWorkers(); number++) {
            if (number != VICTIM && recoveries[number] > 0) {
                total += recoveries[number];
            }
        }
        return total > 0 ? String.format(Locale.ROOT, " (%s = %d)", Worker.RECOVERIES_METER, total) : "";
    }

    /** Reports each worker that did not do its part; returns whether all did. */
    private boolean checkWorkers() {
        boolean ok = true;
        if (victimDone < 0) {
            printf("worker %d never reported that it holds the lock; its output is above%n", VICTIM);
            ok = false;
        }
        if (freeze && (refused.length == 0 || !lostReported)) {
            printf(
                    "worker %d was frozen but %s; its output is above%n",
                    VICTIM,
                    refused.length == 0
                            ? "its late write was never refused"
                            : "it never learned that it lost the lock");
            ok = false;
        }
        for (int number = 1; number <= properties.getWorkers(); number++) {
            if ((number != VICTIM || freeze) && (exitCodes[number] != 0 || doneReported[number] != increments)) {
                printf(
                        "worker %d (pid %d) failed: exit code %d after %,d increments; its output is above%n",
                        number, worker(number).pid(), exitCodes[number], progress[number]);
                ok = false;
            }
        }
        return ok;
    }

    private boolean timedOut(String phase) {
        String running = workers.stream()
                .filter(WorkerProcess::isAlive)
                .map(worker -> "worker " + worker.number() + " (pid " + worker.pid() + ")")
                .collect(Collectors.joining(", "));
        printf(
                "gave up after demo.timeout=%s %s; still running: %s. If they were waiting for the lock after the"
                        + " kill, the dead holder's lock was never recovered. Killing them.%n",
                properties.getTimeout(), phase, running);
        return false;
    }

    private WorkerProcess.@Nullable Event nextEvent(long untilNanos) {
        try {
            return events.poll(Math.max(untilNanos - System.nanoTime(), 0), TimeUnit.NANOSECONDS);
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private boolean allEnded() {
        for (int number = 1; number <= properties.getWorkers(); number++) {
            if (!ended[number]) {
                return false;
            }
        }
        return true;
    }

    private WorkerProcess worker(int number) {
        return workers.get(number - 1);
    }

    private boolean isMultiprocess() {
        return !(manager instanceof InMemoryManager);
    }

    private String backendName() {
        return manager.getClass().getSimpleName();
    }

    /** Prints with a fixed locale, so that the report reads the same everywhere. */
    private void printf(String format, Object... args) {
        out.print(String.format(Locale.ROOT, format, args));
    }

    private static String describeDifference(long missing) {
        return missing > 0
                ? String.format(Locale.ROOT, "%,d increments lost", missing)
                : String.format(Locale.ROOT, "%,d more than were made", -missing);
    }

    /** Formats a duration with two or three significant digits, in microseconds below 1 ms. */
    private static String millis(long nanos) {
        if (nanos < 1_000_000) {
            return String.format(Locale.ROOT, "%d us", nanos / 1000);
        }
        return String.format(Locale.ROOT, nanos < 10_000_000 ? "%.2f ms" : "%.0f ms", nanos / 1e6);
    }

    private static long epochMicros() {
        return ChronoUnit.MICROS.between(Instant.EPOCH, Instant.now());
    }
}
