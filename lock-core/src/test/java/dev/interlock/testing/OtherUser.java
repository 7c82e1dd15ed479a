package dev.interlock.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A process run as a real second user: uid and gid 65534 (nobody), without supplementary groups,
 * entered with {@code setpriv}. For the permission tests of the multiprocess backends, which run
 * only as root (to change uid) and skip themselves otherwise ({@link #unavailableBecause}).
 *
 * @author Interlock team
 */
public final class OtherUser {

    private static final String SETPRIV = "/usr/bin/setpriv";

    private final Process process;

    private OtherUser(Process process) {
        this.process = process;
    }

    /**
     * Says why a second user cannot be used here, or returns {@code null} when it can.
     *
     * @param euid this process's effective user ID
     * @param tools the programs the test runs as that user, by absolute path
     * @return the reason, or {@code null}
     */
    public static String unavailableBecause(int euid, String... tools) {
        if (euid != 0) {
            return "needs root to run a process as uid 65534 (setpriv --reuid); running as uid " + euid;
        }
        if (!Files.isExecutable(Path.of(SETPRIV))) {
            return "needs " + SETPRIV + " (util-linux)";
        }
        for (String tool : tools) {
            if (!Files.isExecutable(Path.of(tool))) {
                return "needs " + tool;
            }
        }
        return null;
    }

    /**
     * Starts {@code command} as uid 65534, with its error output merged into its output.
     *
     * @param command the program and its arguments
     * @return the running process
     * @throws IOException if it cannot be started
     */
    public static OtherUser start(String... command) throws IOException {
        List<String> line = new ArrayList<>(List.of(SETPRIV, "--reuid=65534", "--regid=65534", "--clear-groups"));
        line.addAll(List.of(command));
        return new OtherUser(new ProcessBuilder(line).redirectErrorStream(true).start());
    }

    /**
     * Reads the first line the process printed, or says why there is none.
     *
     * @return the line
     * @throws IOException if the output cannot be read
     */
    public String firstLine() throws IOException {
        BufferedReader reader =
                new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        String line = reader.readLine();
        return line == null
                ? "(no output, exit " + (process.isAlive() ? "still running" : process.exitValue()) + ")"
                : line;
    }

    /**
     * Waits up to 30 s for the process to exit by itself.
     *
     * @return its exit code
     * @throws InterruptedException if interrupted while waiting
     * @throws IllegalStateException if it is still running after 30 s
     */
    public int exitCode() throws InterruptedException {
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException("The process of uid 65534 still runs after 30 s: " + process.info());
        }
        return process.exitValue();
    }

    /**
     * Reads everything the process printed, until it exits.
     *
     * @return the output
     * @throws IOException if the output cannot be read
     */
    public String output() throws IOException {
        return new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }

    /**
     * Ends the process: closes its input (the tests' programs hold their lock until it ends), then
     * kills it if it has not exited within 10 s.
     *
     * @throws InterruptedException if interrupted while waiting
     * @throws IOException if the input cannot be closed
     */
    public void stop() throws InterruptedException, IOException {
        process.getOutputStream().close();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
