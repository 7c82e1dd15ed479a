package dev.interlock.benchmarks.soak;

import dev.interlock.HeldLock;
import dev.interlock.Manager;
import dev.interlock.benchmarks.Backend;
import dev.interlock.benchmarks.BenchmarkStorage;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The kill soak of one backend. Arguments: {@code <shm|file> <trials>}. Four {@link SoakWorker}
 * processes hammer lock 0, each incrementing a counter file under it. In every trial the driver
 * lets them run for 10 to 50 ms, finds the holder ({@code locksHeld()}), waits 0 to 1 ms more (a
 * random point of its 1 to 3 ms critical section), kills it with {@code SIGKILL}, and waits until
 * another process acquires the lock (the acquisition time the next holder writes into the counter
 * file, on the machine-wide {@code System.nanoTime()} clock): that wait is the recovery time, and
 * none within 10 s is a wedge. A standby worker, started ahead, replaces the killed one, so three
 * processes are always waiting when the holder dies. Every standby has finished starting (it
 * printed {@code READY}) before the next kill, so no JVM start-up competes with the recovery
 * for the cores.
 *
 * <p>At the end every surviving worker stops and reports its increments. Each worker printed every
 * increment after writing it, so the counter must lie between the printed sum and the printed sum
 * plus one per kill (a worker killed after its write but before its print); less is a lost
 * update. Prints exactly one summary line: {@code soak shm: 1000 trials, 0 lost updates, 0
 * wedged, recovery p50 N ms, p99 N ms, max N ms}, and exits with 1 if anything was lost or
 * wedged.
 *
 * @author Interlock team
 */
public final class SoakDriver {

    /** Lock count of the soak's storage; only lock 0 is used. */
    static final int NUM_LOCKS = 64;

    private static final int WORKERS = 4;

    private static final int STANDBY = 2;

    private static final long WEDGE_NANOS = TimeUnit.SECONDS.toNanos(10);

    private static final long READY_NANOS = TimeUnit.SECONDS.toNanos(120);

    private SoakDriver() {}

    /**
     * Runs the soak.
     *
     * @param args {@code <shm|file> <trials>}
     * @throws Exception if the soak itself fails (not the locks: those are counted)
     */
    public static void main(String[] args) throws Exception {
        String name = args[0].toLowerCase(Locale.ROOT);
        Backend backend = Backend.valueOf(name.toUpperCase(Locale.ROOT));
        int trials = Integer.parseInt(args[1]);
        Path counter = Files.createTempFile("interlock-soak-" + name + "-", ".counter");
        Files.write(counter, new byte[SoakWorker.COUNTER_BYTES]);
        List<Worker> running = new ArrayList<>();
        Deque<Worker> standby = new ArrayDeque<>();
        long[] recoveries = new long[trials];
        int done = 0;
        int wedged = 0;
        long killedPrinted = 0;
        String summary;
        boolean clean;
        try (BenchmarkStorage storage = backend.create(NUM_LOCKS);
                Manager observer = backend.open(storage.location(), NUM_LOCKS);
                FileChannel counterChannel = FileChannel.open(counter, StandardOpenOption.READ)) {
            for (int i = 0; i < WORKERS + STANDBY; i++) {
                standby.add(Worker.start(backend, storage.location(), counter));
            }
            for (int i = 0; i < WORKERS; i++) {
                running.add(standby.poll().go());
            }
            standby.add(Worker.start(backend, storage.location(), counter));
            standby.add(Worker.start(backend, storage.location(), counter));
            ThreadLocalRandom random = ThreadLocalRandom.current();
            for (; done < trials; done++) {
                // Warm standby: no JVM may be starting while the waiters recover, or the recovery
                // time would measure a JVM start-up competing for the cores.
                for (Worker spare : standby) {
                    spare.awaitReady();
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(random.nextLong(10, 50)));
                Worker holder = findHolder(observer, running);
                LockSupport.parkNanos(random.nextLong(0, 1_000_000));
                long killedAt = System.nanoTime();
                holder.process.destroyForcibly();
                long acquired = awaitAcquisitionAfter(counterChannel, killedAt);
                if (acquired < 0) {
                    wedged++;
                    System.err.println("soak " + name + ": trial " + (done + 1) + " wedged: nobody acquired"
                            + " the lock within 10 s after pid " + holder.process.pid() + " was killed; held: "
                            + observer.locksHeld());
                    done++;
                    break;
                }
                recoveries[done] = acquired - killedAt;
                holder.awaitExit();
                killedPrinted += holder.lastIncrement;
                running.remove(holder);
                running.add(standby.poll().go());
                standby.add(Worker.start(backend, storage.location(), counter));
                if ((done + 1) % 100 == 0) {
                    System.err.printf(
                            "soak %s: %d of %d trials, load average %s%n", name, done + 1, trials, loadAverage());
                }
            }
            long survivorsCounted = 0;
            for (Worker worker : running) {
                survivorsCounted += worker.stop();
            }
            for (Worker worker : standby) {
                worker.process.destroyForcibly();
            }
            long total = readCounter(counterChannel)[0];
            long low = killedPrinted + survivorsCounted;
            int kills = done - wedged;
            long lost = Math.max(0, low - total);
            if (total > low + kills) {
                System.err.println("soak " + name + ": the counter is " + total + ", more than the " + low
                        + " printed increments plus one per kill (" + kills + "): increments were double-counted");
                lost += total - low - kills;
            }
            long[] measured = Arrays.copyOf(recoveries, kills);
            Arrays.sort(measured);
            summary = String.format(
                    "soak %s: %d trials, %d lost updates, %d wedged, recovery p50 %d ms, p99 %d ms, max %d ms",
                    name,
                    done,
                    lost,
                    wedged,
                    millis(percentile(measured, 0.50)),
                    millis(percentile(measured, 0.99)),
                    millis(measured.length == 0 ? 0 : measured[measured.length - 1]));
            clean = lost == 0 && wedged == 0;
        } finally {
            running.forEach(worker -> worker.process.destroyForcibly());
            standby.forEach(worker -> worker.process.destroyForcibly());
            Files.deleteIfExists(counter);
        }
        System.out.println(summary);
        System.exit(clean ? 0 : 1);
    }

    /** Finds the worker that holds lock 0 right now, retrying while the lock is between holders. */
    private static Worker findHolder(Manager observer, List<Worker> running) {
        long deadline = System.nanoTime() + WEDGE_NANOS;
        while (System.nanoTime() < deadline) {
            for (HeldLock held : observer.locksHeld()) {
                if (held.id() == 0 && held.ownerPid().isPresent()) {
                    long pid = held.ownerPid().getAsLong();
                    for (Worker worker : running) {
                        if (worker.process.pid() == pid) {
                            return worker;
                        }
                    }
                }
            }
            LockSupport.parkNanos(50_000);
        }
        throw new IllegalStateException("No worker held lock 0 for 10 s; held: " + observer.locksHeld());
    }

    /** Polls the counter file for an increment by a holder that acquired after {@code killedAt}. */
    private static long awaitAcquisitionAfter(FileChannel counter, long killedAt) throws IOException {
        while (System.nanoTime() - killedAt < WEDGE_NANOS) {
            long acquired = readCounter(counter)[1];
            if (acquired - killedAt > 0) {
                return acquired;
            }
            LockSupport.parkNanos(100_000);
        }
        return -1;
    }

    private static long[] readCounter(FileChannel counter) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(SoakWorker.COUNTER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        counter.read(buffer, 0);
        return new long[] {buffer.getLong(0), buffer.getLong(8)};
    }

    private static long percentile(long[] sorted, double fraction) {
        if (sorted.length == 0) {
            return 0;
        }
        int index = (int) Math.ceil(fraction * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
    }

    private static long millis(long nanos) {
        return Math.round(nanos / 1e6);
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (IOException ex) {
            return "unknown";
        }
    }

    /** A worker process and what it printed. */
    private static final class Worker {

        final Process process;

        private final Writer stdin;

        private final BufferedReader stdout;

        private final Thread reader;

        private volatile boolean ready;

        volatile long lastIncrement;

        private volatile long finalCount = -1;

        private Worker(Process process) {
            this.process = process;
            this.stdin = new java.io.OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
            this.stdout = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
            this.reader = new Thread(this::read, "soak-worker-" + process.pid());
            reader.setDaemon(true);
            reader.start();
        }

        static Worker start(Backend backend, String location, Path counter) {
            List<String> command = new ArrayList<>(List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xshare:auto",
                    "-XX:TieredStopAtLevel=1",
                    "-XX:+UseSerialGC",
                    "-Xmx64m",
                    "-cp",
                    System.getProperty("java.class.path"),
                    SoakWorker.class.getName(),
                    backend.name(),
                    location,
                    counter.toString()));
            try {
                return new Worker(
                        new ProcessBuilder(command).redirectErrorStream(true).start());
            } catch (IOException ex) {
                throw new UncheckedIOException("Cannot start a soak worker: " + command, ex);
            }
        }

        private void read() {
            try {
                for (String line = stdout.readLine(); line != null; line = stdout.readLine()) {
                    if (line.startsWith("INC ")) {
                        lastIncrement = Long.parseLong(line.substring(4));
                    } else if (line.equals("READY")) {
                        ready = true;
                    } else if (line.startsWith("COUNT ")) {
                        finalCount = Long.parseLong(line.substring(6));
                    } else if (!line.contains("from a dead holder")) {
                        // Recoveries are expected here, once per trial; anything else is shown.
                        System.err.println("[worker " + process.pid() + "] " + line);
                    }
                }
            } catch (IOException ex) {
                // The process died; what was read is kept.
            }
        }

        /** Waits until the worker is ready, then lets it start hammering. */
        Worker go() {
            awaitReady();
            send("GO");
            return this;
        }

        /** Waits until the worker's JVM has started and opened the storage (it prints READY). */
        void awaitReady() {
            long deadline = System.nanoTime() + READY_NANOS;
            while (!ready) {
                if (!process.isAlive() || System.nanoTime() > deadline) {
                    throw new IllegalStateException("Soak worker " + process.pid() + " did not become ready within "
                            + TimeUnit.NANOSECONDS.toSeconds(READY_NANOS) + " s (alive: " + process.isAlive()
                            + "); its output is above");
                }
                LockSupport.parkNanos(1_000_000);
            }
        }

        /** Stops the worker and returns its increments. */
        long stop() throws InterruptedException {
            send("STOP");
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException("Soak worker " + process.pid() + " did not stop within 60 s");
            }
            reader.join(10_000);
            if (finalCount < 0) {
                throw new IllegalStateException("Soak worker " + process.pid() + " exited without its count");
            }
            return finalCount;
        }

        /** Waits for a killed worker to be gone and its output read to the end. */
        void awaitExit() throws InterruptedException {
            process.waitFor(30, TimeUnit.SECONDS);
            reader.join(10_000);
        }

        private void send(String line) {
            try {
                stdin.write(line + "\n");
                stdin.flush();
            } catch (IOException ex) {
                throw new UncheckedIOException("Cannot write to soak worker " + process.pid(), ex);
            }
        }
    }
}
