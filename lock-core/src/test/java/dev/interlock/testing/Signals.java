package dev.interlock.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Stops and continues child processes with {@code kill -STOP} and {@code kill -CONT}: a stopped
 * waiter keeps its place (its starving flag, its turn) but cannot act, which makes what a releaser
 * does next observable without a race.
 *
 * @author Interlock team
 */
public final class Signals {

    private Signals() {}

    /**
     * Stops process {@code pid} ({@code SIGSTOP}) and waits until every thread of it has stopped:
     * {@code kill} returns when the signal is queued, not when it took effect.
     *
     * @param pid the process
     */
    public static void stop(long pid) {
        send("-STOP", pid);
        long began = System.nanoTime();
        while (!allThreadsStopped(pid)) {
            if (System.nanoTime() - began > TimeUnit.SECONDS.toNanos(30)) {
                throw new AssertionError("Process " + pid + " did not stop within 30 s of SIGSTOP");
            }
            Thread.onSpinWait();
        }
    }

    /** Whether every task in {@code /proc/<pid>/task} is in state T (stopped). */
    private static boolean allThreadsStopped(long pid) {
        try (Stream<Path> tasks = Files.list(Path.of("/proc", String.valueOf(pid), "task"))) {
            return tasks.allMatch(task -> {
                try {
                    String stat = Files.readString(task.resolve("stat"));
                    // The state follows the command name, which is in parentheses and may hold spaces.
                    return stat.charAt(stat.lastIndexOf(')') + 2) == 'T';
                } catch (IOException ex) {
                    return true; // the thread ended
                }
            });
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    /**
     * Continues process {@code pid} ({@code SIGCONT}).
     *
     * @param pid the process
     */
    public static void resume(long pid) {
        send("-CONT", pid);
    }

    private static void send(String signal, long pid) {
        try {
            Process kill = new ProcessBuilder("kill", signal, String.valueOf(pid))
                    .redirectErrorStream(true)
                    .start();
            if (!kill.waitFor(30, TimeUnit.SECONDS) || kill.exitValue() != 0) {
                throw new AssertionError("kill " + signal + " " + pid + " failed: "
                        + new String(kill.getInputStream().readAllBytes()));
            }
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new AssertionError("Interrupted while sending " + signal + " to " + pid, ex);
        }
    }
}
