package dev.interlock.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

import dev.interlock.memory.InMemoryManager;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tests for {@link ChildJvm}, {@link CounterWorker} and {@link SharedCounter}.
 *
 * @author Interlock team
 */
class ChildJvmTests {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @Test
    void childShouldRunMainWithArgumentsAndReportExitCode() {
        try (ChildJvm child = ChildJvm.start(EchoMain.class, "hello", "7")) {
            assertThat(child.awaitLine("READY", WAIT)).isEqualTo("READY hello");
            child.send("ping");
            assertThat(child.awaitLine("ECHO", WAIT)).isEqualTo("ECHO ping");
            assertThat(child.awaitExit(WAIT)).isEqualTo(7);
            assertThat(child.output()).isEqualTo("READY hello\nECHO ping");
        }
    }

    @Test
    void killShouldEndChildWithSigkill() {
        try (ChildJvm child = ChildJvm.start(EchoMain.class, "wait-forever", "0")) {
            child.awaitLine("READY", WAIT);
            child.kill();
            assertThat(child.isAlive()).isFalse();
            assertThat(child.awaitExit(WAIT)).as("128 + SIGKILL").isEqualTo(137);
        }
    }

    @Test
    void awaitLineShouldFailWithOutputWhenChildExitsFirst() {
        try (ChildJvm child = ChildJvm.start(EchoMain.class, "quiet", "3")) {
            child.send("bye");
            assertThatExceptionOfType(AssertionError.class)
                    .isThrownBy(() -> child.awaitLine("NEVER", WAIT))
                    .withMessageContaining("did not print a line starting with 'NEVER'")
                    .withMessageContaining("exited with 3")
                    .withMessageContaining("READY quiet");
        }
    }

    @Test
    void awaitSuccessShouldFailOnNonZeroExit() {
        try (ChildJvm child = ChildJvm.start(EchoMain.class, "failing", "2")) {
            child.send("bye");
            assertThatExceptionOfType(AssertionError.class)
                    .isThrownBy(() -> child.awaitSuccess(WAIT))
                    .withMessageContaining("exited with 2");
        }
    }

    @Test
    void counterWorkerShouldIncrementUnderLocks(@TempDir Path counters) {
        try (ChildJvm child = ChildJvm.start(
                CounterWorker.class, InMemoryOpener.class.getName(), "16", "3", "500", "1", counters.toString())) {
            assertThat(child.awaitSuccess(WAIT)).contains("READY").contains("DONE 1500");
        }
        assertThat(new SharedCounter(counters.resolve("counter-0")).get()).isEqualTo(1500);
    }

    /** Opens a fresh in-memory manager; enough to prove the worker, not multiprocess exclusion. */
    public static final class InMemoryOpener implements ManagerOpener {

        @Override
        public dev.interlock.Manager open(String location) {
            return InMemoryManager.create(Integer.parseInt(location));
        }
    }

    /**
     * Prints {@code READY <first arg>}, echoes one line of input as {@code ECHO <line>} unless the
     * first argument is {@code wait-forever} (then it waits for input that never comes), and exits
     * with the second argument as exit code.
     */
    public static final class EchoMain {

        public static void main(String[] args) throws IOException {
            System.out.println("READY " + args[0]);
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            String line = in.readLine();
            if (args[0].equals("hello")) {
                System.out.println("ECHO " + line);
            }
            System.exit(Integer.parseInt(args[1]));
        }
    }
}
