package dev.interlock.samples.counter;

import dev.interlock.LockLostException;
import dev.interlock.LockStorageException;
import dev.interlock.LostLock;
import dev.interlock.spring.LockLostEvent;
import dev.interlock.spring.LockTemplate;
import io.micrometer.core.instrument.Measurement;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Statistic;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongConsumer;
import java.util.stream.StreamSupport;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/**
 * The demo's worker process: waits for the job's go, increments the counter {@code
 * demo.increments} times and reports what it measured, following {@link WorkerProtocol}. The
 * worker chosen to be killed stops inside the critical section instead, and waits for {@code
 * SIGKILL}. {@link DemoRunner} calls it in a process that the job started as a worker.
 *
 * @author Interlock team
 */
@Component
class Worker {

    private final LockedCounter counter;

    private final DemoProperties properties;

    private final ObjectProvider<MeterRegistry> meterRegistry;

    /** The starter's counter of locks taken over from dead holders. */
    static final String RECOVERIES_METER = "interlock.lock.recoveries";

    private final PrintStream out = System.out;

    private final BufferedReader commands =
            new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));

    /** Increments written so far; read inside the critical section by the worker that is killed. */
    private int done;

    /** Failures to take the lock in a row that a worker retries before it gives up. */
    private static final int MAX_STORAGE_FAILURES = 5;

    private int storageFailures;

    /** Whether this worker already stopped inside the critical section for the job (it does so once). */
    private boolean held;

    Worker(LockedCounter counter, DemoProperties properties, ObjectProvider<MeterRegistry> meterRegistry) {
        this.counter = counter;
        this.properties = properties;
        this.meterRegistry = meterRegistry;
    }

    /**
     * Runs the worker's part of the job.
     *
     * @return the exit code: 0 once done, 3 when the job is gone before its go
     * @throws IOException if the job's commands cannot be read
     */
    int run() throws IOException {
        int number = properties.getWorker().getNumber();
        out.println(WorkerProtocol.READY + " " + ProcessHandle.current().pid());
        String command = commands.readLine();
        if (!WorkerProtocol.GO.equals(command)) {
            out.println("Worker " + number + " expected " + WorkerProtocol.GO + " from the job but read " + command
                    + "; the job is gone, stopping without incrementing");
            return 3;
        }
        LongConsumer whileHolding = properties.getWorker().getHoldAt() < 0 ? value -> {} : this::holdIfDue;
        int total = properties.increments(false); // The job always passes demo.increments.
        List<Increment> increments = new ArrayList<>(total);
        while (done < total) {
            try {
                increments.add(counter.increment(System.nanoTime(), whileHolding));
            } catch (CounterFile.StaleTokenException ex) {
                out.println(WorkerProtocol.REFUSED + " " + ex.value() + " " + ex.token() + " " + ex.lastToken());
                for (Throwable suppressed : ex.getSuppressed()) {
                    if (suppressed instanceof LockLostException lost) {
                        reportLost(lost.lost());
                    }
                }
                continue; // Nothing was written: read the counter again under a new hold.
            } catch (LockLostException ex) {
                reportLost(ex.lost()); // The fenced write went through before the loss was noticed.
            } catch (LockStorageException ex) {
                // The lock could not be taken (with PostgreSQL: the session was lost while acquiring, for
                // example on a machine too busy to answer within the session timeout). Nothing was written.
                if (++storageFailures > MAX_STORAGE_FAILURES) {
                    throw ex;
                }
                out.println("could not take the lock, trying again: " + ex.getMessage());
                continue;
            }
            storageFailures = 0;
            done++;
            if (done % WorkerProtocol.PROGRESS_EVERY == 0) {
                out.println(WorkerProtocol.PROGRESS + " " + done);
            }
        }
        WorkerSamples.of(increments).writeTo(WorkerProtocol.samplesFile(properties.getWorkDir(), number));
        out.println(WorkerProtocol.DONE + " " + done + " " + recoveries());
        return 0;
    }

    private void reportLost(LostLock lost) {
        out.println(WorkerProtocol.LOST + " " + lost.fencingToken() + " " + lost.reason());
    }

    /**
     * Shows, as a line of its own, each lost hold the starter publishes: with the PostgreSQL
     * backend, the frozen worker hears of its loss this way as soon as it runs again.
     *
     * @param event the event
     */
    @EventListener
    void lockLost(LockLostEvent event) {
        out.println("[LockLostEvent] " + event);
    }

    /**
     * Returns how many locks the backend took over from dead holders in this process, from the
     * starter's {@code interlock.lock.recoveries} meter; -1 without Micrometer.
     */
    private long recoveries() {
        MeterRegistry registry = meterRegistry.getIfAvailable();
        if (registry == null) {
            return -1;
        }
        return Math.round(registry.find(RECOVERIES_METER).meters().stream()
                .flatMap(meter -> StreamSupport.stream(meter.measure().spliterator(), false))
                .filter(measurement -> measurement.getStatistic() == Statistic.COUNT)
                .mapToDouble(Measurement::getValue)
                .sum());
    }

    /**
     * Runs inside the critical section of the worker that is to be killed or frozen. Once the
     * count has reached {@code demo.worker.hold-at}, it tells the job that it holds the lock and
     * waits for the job's {@code SIGKILL}, which ends the process before it writes; or, with the
     * PostgreSQL backend, for {@code SIGSTOP}, {@code SIGCONT} and the job's {@code RESUME}, after
     * which it goes on to write, late.
     */
    private void holdIfDue(long value) {
        if (held || value < properties.getWorker().getHoldAt()) {
            return;
        }
        held = true;
        out.println(WorkerProtocol.HOLDING + " " + done + " " + value + " " + LockTemplate.currentFencingToken());
        String unexpected;
        try {
            // Killed: this read ends only with the process, or when the job is gone. Frozen: the job resumes it.
            unexpected = commands.readLine();
        } catch (IOException ex) {
            unexpected = ex.toString();
        }
        if (WorkerProtocol.RESUME.equals(unexpected)) {
            return;
        }
        throw new IllegalStateException("Worker " + properties.getWorker().getNumber()
                + " held the lock to be killed, but the job closed its input instead (read " + unexpected
                + "); giving up without writing");
    }
}
