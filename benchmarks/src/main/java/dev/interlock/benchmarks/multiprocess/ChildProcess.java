package dev.interlock.benchmarks.multiprocess;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A child process of the benchmark, Java or C, spoken to one line at a time: commands go to its
 * standard input, answers come from its standard output through a reader thread, and its standard
 * error is appended to a log file. Every wait for an answer is bounded.
 *
 * @author Interlock team
 * @since 0.1.0
 */
final class ChildProcess implements AutoCloseable {

    private static final String END_OF_OUTPUT = "\u0000end of output";

    private final Process process;

    private final String description;

    private final Path log;

    private final Writer input;

    private final BlockingQueue<String> output = new LinkedBlockingQueue<>();

    private ChildProcess(Process process, String description, Path log) {
        this.process = process;
        this.description = description;
        this.log = log;
        this.input = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        Thread reader = new Thread(this::readOutput, "output of " + description);
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * Starts a child process.
     *
     * @param command the command line
     * @param log the file its standard error is appended to
     * @return the running child
     * @throws UncheckedIOException if the process cannot be started
     */
    static ChildProcess start(List<String> command, Path log) {
        try {
            Process process = new ProcessBuilder(command)
                    .redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .start();
            return new ChildProcess(process, String.join(" ", command) + " (pid " + process.pid() + ")", log);
        } catch (IOException ex) {
            throw new UncheckedIOException("Could not start benchmark child " + command, ex);
        }
    }

    /**
     * Sends one command line.
     *
     * @param line the command, without a line terminator
     * @throws UncheckedIOException if the child no longer reads its input
     */
    void send(String line) {
        try {
            input.write(line + "\n");
            input.flush();
        } catch (IOException ex) {
            throw new UncheckedIOException(
                    "Could not send '" + line + "' to " + description
                            + ", which probably died; its standard error is in " + log,
                    ex);
        }
    }

    /**
     * Waits for the next line of output, which must start with {@code word}.
     *
     * @param word the expected first word
     * @param timeout how long to wait at most
     * @return the line
     * @throws IllegalStateException if the child answered something else, ended, or did not answer
     *     in time
     * @throws InterruptedException if interrupted while waiting
     */
    String expect(String word, Duration timeout) throws InterruptedException {
        String line = output.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (line == null || line.equals(END_OF_OUTPUT) || !line.startsWith(word)) {
            String answer = line == null
                    ? "nothing within " + timeout.toMillis() + " ms"
                    : line.equals(END_OF_OUTPUT) ? "end of output" : "'" + line + "'";
            throw new IllegalStateException("Expected " + word + " from " + description + " but got " + answer
                    + "; its standard error is in " + log);
        }
        return line;
    }

    private void readOutput() {
        try (BufferedReader reader =
                new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = reader.readLine()) != null) {
                output.add(line);
            }
        } catch (IOException ex) {
            // The child is gone; expect() reports that below.
        }
        output.add(END_OF_OUTPUT);
    }

    /**
     * Waits a little for the child to end by itself, then kills it. If interrupted, kills it at
     * once and keeps the interrupt status.
     */
    @Override
    public void close() {
        try {
            input.close();
        } catch (IOException ex) {
            // Already closed by the child's exit: nothing left to tell it.
        }
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException ex) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    /** Kills the child at once, for a shutdown hook. */
    void kill() {
        process.destroyForcibly();
    }
}
