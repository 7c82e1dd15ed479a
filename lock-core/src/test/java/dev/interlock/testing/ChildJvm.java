package dev.interlock.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A real child JVM running a main class from the test classpath, for multi-process tests.
 *
 * <p>Standard output and error are merged and collected line by line, so a test can wait for a
 * line the child prints when it reaches a point ({@link #awaitLine}), instead of sleeping. Every
 * wait is bounded; on timeout the child is killed and the assertion error carries its output.
 * {@link #kill()} sends {@code SIGKILL}, which the child cannot intercept. {@link #close()} kills
 * a child that is still running, so a try-with-resources block never leaks a process.
 *
 * <pre>{@code
 * try (ChildJvm child = ChildJvm.start(HolderMain.class, segment, "7")) {
 *     child.awaitLine("LOCKED", Duration.ofSeconds(20));
 *     child.kill();
 * }
 * }</pre>
 *
 * @author Interlock team
 */
public final class ChildJvm implements AutoCloseable {

    private final Process process;

    private final String description;

    private final List<String> lines = new ArrayList<>();

    private final Writer stdin;

    /** Set once the child's output stream has ended; guarded by {@code lines}. */
    private boolean outputComplete;

    private ChildJvm(Process process, String description) {
        this.process = process;
        this.description = description;
        this.stdin = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        Thread reader = new Thread(this::collectOutput, "child-output-" + process.pid());
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * Starts {@code mainClass} in a child JVM of the running Java version with the test classpath.
     *
     * @param mainClass the class whose {@code main} to run
     * @param args its arguments
     * @return the running child
     */
    public static ChildJvm start(Class<?> mainClass, String... args) {
        return builder(mainClass).args(args).start();
    }

    /**
     * Returns a builder for a child JVM running {@code mainClass}.
     *
     * @param mainClass the class whose {@code main} to run
     * @return the builder
     */
    public static Builder builder(Class<?> mainClass) {
        return new Builder(mainClass);
    }

    /**
     * Returns the child's process ID.
     *
     * @return the pid
     */
    public long pid() {
        return process.pid();
    }

    /**
     * Returns whether the child is still running.
     *
     * @return {@code true} if alive
     */
    public boolean isAlive() {
        return process.isAlive();
    }

    /**
     * Waits until the child prints a line that starts with {@code prefix} and returns it.
     *
     * @param prefix the start of the awaited line
     * @param timeout how long to wait at most
     * @return the whole line
     * @throws AssertionError if the child exits or the time runs out first
     */
    public String awaitLine(String prefix, Duration timeout) {
        return awaitLine(line -> line.startsWith(prefix), "a line starting with '" + prefix + "'", timeout);
    }

    /**
     * Waits until the child prints a line that matches {@code condition} and returns it.
     *
     * @param condition what the line must satisfy
     * @param what a description of the awaited line for the failure message
     * @param timeout how long to wait at most
     * @return the matching line
     * @throws AssertionError if the child exits or the time runs out first
     */
    public String awaitLine(Predicate<String> condition, String what, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        int seen = 0;
        synchronized (lines) {
            while (true) {
                for (; seen < lines.size(); seen++) {
                    if (condition.test(lines.get(seen))) {
                        return lines.get(seen);
                    }
                }
                long remainingMillis = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (remainingMillis <= 0 || (!process.isAlive() && outputComplete)) {
                    break;
                }
                try {
                    lines.wait(Math.min(remainingMillis, 100));
                } catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        String state = process.isAlive() ? "still running" : "exited with " + process.exitValue();
        process.destroyForcibly();
        throw new AssertionError("Child " + description + " did not print " + what + " within " + timeout.toMillis()
                + " ms (" + state + "); output:\n" + output());
    }

    /**
     * Writes one line to the child's standard input.
     *
     * @param line the line, without the line terminator
     */
    public void send(String line) {
        try {
            stdin.write(line);
            stdin.write('\n');
            stdin.flush();
        } catch (IOException ex) {
            throw new UncheckedIOException("Could not write to child " + description + "; output:\n" + output(), ex);
        }
    }

    /**
     * Waits for the child to exit and returns its exit code.
     *
     * @param timeout how long to wait at most
     * @return the exit code; 137 for a child killed by {@code SIGKILL}
     * @throws AssertionError if the child is still running when the time runs out (it is then
     *     killed)
     */
    public int awaitExit(Duration timeout) {
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                throw new AssertionError("Child " + description + " did not exit within " + timeout.toMillis()
                        + " ms; it was killed; output:\n" + output());
            }
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
            throw new AssertionError("Interrupted while waiting for child " + description, ex);
        }
        awaitOutputComplete();
        return process.exitValue();
    }

    /**
     * Waits for the child to exit with code 0 and returns its output.
     *
     * @param timeout how long to wait at most
     * @return everything the child printed
     * @throws AssertionError if the child exits with another code or does not exit in time
     */
    public String awaitSuccess(Duration timeout) {
        int code = awaitExit(timeout);
        if (code != 0) {
            throw new AssertionError("Child " + description + " exited with " + code + "; output:\n" + output());
        }
        return output();
    }

    /** Kills the child with {@code SIGKILL} and waits (bounded) until it is gone. */
    public void kill() {
        process.destroyForcibly();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                throw new AssertionError("Child " + description + " survived SIGKILL for 30 s");
            }
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Returns everything the child printed so far, one line per line.
     *
     * @return the output
     */
    public String output() {
        synchronized (lines) {
            return String.join("\n", lines);
        }
    }

    /** Kills the child if it is still running. */
    @Override
    public void close() {
        if (process.isAlive()) {
            kill();
        }
    }

    private void collectOutput() {
        try (BufferedReader reader =
                new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = reader.readLine()) != null) {
                synchronized (lines) {
                    lines.add(line);
                    lines.notifyAll();
                }
            }
        } catch (IOException ex) {
            // The stream closes when the child dies; what was read so far is kept.
        } finally {
            synchronized (lines) {
                outputComplete = true;
                lines.notifyAll();
            }
        }
    }

    private void awaitOutputComplete() {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        synchronized (lines) {
            while (!outputComplete && System.nanoTime() < deadline) {
                try {
                    lines.wait(100);
                } catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    /**
     * Builds a child JVM: main class, arguments, JVM options, and optionally another JDK.
     *
     * @author Interlock team
     */
    public static final class Builder {

        private final Class<?> mainClass;

        private final List<String> args = new ArrayList<>();

        private final List<String> jvmArgs = new ArrayList<>(List.of("-Xshare:auto", "-XX:TieredStopAtLevel=1"));

        private Path javaHome = Path.of(System.getProperty("java.home"));

        private Builder(Class<?> mainClass) {
            this.mainClass = mainClass;
        }

        /**
         * Adds arguments for the main method.
         *
         * @param args the arguments
         * @return this builder
         */
        public Builder args(String... args) {
            this.args.addAll(Arrays.asList(args));
            return this;
        }

        /**
         * Adds JVM options, for example {@code -Djdk.virtualThreadScheduler.parallelism=2}.
         *
         * @param options the options
         * @return this builder
         */
        public Builder jvmArgs(String... options) {
            this.jvmArgs.addAll(Arrays.asList(options));
            return this;
        }

        /**
         * Runs the child on the JDK at {@code javaHome} instead of the running one, for example a
         * JDK 21+ for virtual threads while the tests run on 17.
         *
         * @param javaHome the JDK's home directory
         * @return this builder
         */
        public Builder javaHome(Path javaHome) {
            this.javaHome = javaHome;
            return this;
        }

        /**
         * Starts the child.
         *
         * @return the running child
         */
        public ChildJvm start() {
            List<String> command = new ArrayList<>();
            command.add(javaHome.resolve("bin").resolve("java").toString());
            command.addAll(jvmArgs);
            command.add("-cp");
            command.add(System.getProperty("java.class.path"));
            command.add(mainClass.getName());
            command.addAll(args);
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
            try {
                Process process = builder.start();
                return new ChildJvm(process, mainClass.getSimpleName() + " " + String.join(" ", args));
            } catch (IOException ex) {
                throw new UncheckedIOException("Could not start a child JVM with " + command, ex);
            }
        }
    }
}
