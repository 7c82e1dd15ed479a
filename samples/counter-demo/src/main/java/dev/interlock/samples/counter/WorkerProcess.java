package dev.interlock.samples.counter;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * A worker JVM started by the job. Its output lines go, tagged with the worker's number, into a
 * queue that the job reads all workers' lines from; when the output ends, an event with no line
 * follows.
 *
 * @author Interlock team
 */
final class WorkerProcess implements AutoCloseable {

    /**
     * A line a worker printed, or the end of its output.
     *
     * @param number the worker's number
     * @param line the line, or {@code null} once the worker's output has ended
     */
    record Event(int number, @Nullable String line) {}

    private final int number;

    private final Process process;

    private final Writer input;

    /** Set before this job kills the worker: the JDK then closes the output stream under the reader. */
    private volatile boolean killed;

    private WorkerProcess(int number, Process process, BlockingQueue<Event> events) {
        this.number = number;
        this.process = process;
        this.input = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        Thread reader = new Thread(() -> forwardOutput(events), "worker-" + number + "-output");
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * Starts a worker, marked as one by the environment variable {@link DemoRunner#WORKER_OF} so
     * that it never starts workers of its own.
     *
     * @param number the worker's number
     * @param command the command line
     * @param events where the worker's output lines go
     * @return the running worker
     */
    static WorkerProcess start(int number, List<String> command, BlockingQueue<Event> events) {
        try {
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
            builder.environment()
                    .put(
                            DemoRunner.WORKER_OF,
                            Long.toString(ProcessHandle.current().pid()));
            return new WorkerProcess(number, builder.start(), events);
        } catch (IOException ex) {
            throw new UncheckedIOException("Cannot start worker " + number + " with " + command, ex);
        }
    }

    int number() {
        return number;
    }

    long pid() {
        return process.pid();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /**
     * Returns the exit code of a worker whose output has ended, waiting briefly for the process
     * to be reaped.
     *
     * @return the exit code, 137 for a worker killed with {@code SIGKILL}, or -1 if it is still
     *     running
     */
    int exitCode() {
        try {
            return process.waitFor(10, TimeUnit.SECONDS) ? process.exitValue() : -1;
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /**
     * Writes one line to the worker's standard input.
     *
     * @param line the line
     */
    void send(String line) {
        try {
            input.write(line + "\n");
            input.flush();
        } catch (IOException ex) {
            throw new UncheckedIOException("Cannot write to worker " + number + " (pid " + pid() + ")", ex);
        }
    }

    /**
     * Kills the worker with {@code SIGKILL} (which it cannot catch or delay) and waits until it is
     * gone.
     *
     * @param timeout how long to wait for the process to disappear
     * @return whether the process is gone
     */
    boolean kill(Duration timeout) {
        killed = true;
        // On Unix, destroyForcibly() sends SIGKILL.
        process.destroyForcibly();
        try {
            return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * Sends a signal with {@code kill}, such as {@code STOP} (freezes the process: it cannot catch
     * or delay it) or {@code CONT} (resumes it), and waits for {@code kill} to finish.
     *
     * @param signal the signal's name without {@code SIG}
     */
    void signal(String signal) {
        try {
            Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid()))
                    .redirectErrorStream(true)
                    .start();
            if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
                throw new IllegalStateException("kill -" + signal + " " + pid() + " failed: "
                        + new String(kill.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip());
            }
        } catch (IOException ex) {
            throw new UncheckedIOException("Cannot run kill -" + signal + " for worker " + number, ex);
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while sending SIG" + signal + " to worker " + number, ex);
        }
    }

    /** Kills the worker if it is still running, so that the job never leaves a process behind. */
    @Override
    public void close() {
        if (process.isAlive()) {
            kill(Duration.ofSeconds(10));
        }
    }

    private void forwardOutput(BlockingQueue<Event> events) {
        try (BufferedReader reader =
                new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = reader.readLine()) != null) {
                events.add(new Event(number, line));
            }
        } catch (IOException ex) {
            if (!killed) {
                events.add(new Event(number, "(output of worker " + number + " could not be read: " + ex + ")"));
            }
        } finally {
            events.add(new Event(number, null));
        }
    }
}
