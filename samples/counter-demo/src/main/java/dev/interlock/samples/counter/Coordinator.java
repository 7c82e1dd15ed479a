package dev.interlock.samples.counter;

import dev.interlock.Manager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.springframework.boot.ApplicationArguments;
import org.springframework.boot.ApplicationRunner;
import org.springframework.boot.ExitCodeGenerator;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.stereotype.Component;

/**
 * The demo's default job: runs a {@link DemoJob} with worker processes that are copies of this
 * application, in a fresh directory that it removes afterwards, and makes the outcome the exit
 * code.
 *
 * @author Interlock team
 */
@Component
@ConditionalOnProperty(name = "demo.mode", havingValue = "job", matchIfMissing = true)
class Coordinator implements ApplicationRunner, ExitCodeGenerator {

    /** JVM options that start a short-lived worker quickly on a small machine. */
    private static final List<String> WORKER_JVM_OPTIONS =
            List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xshare:auto", "-Xmx96m");

    private final DemoProperties properties;

    private final Manager manager;

    private int exitCode = DemoJob.STUCK;

    Coordinator(DemoProperties properties, Manager manager) {
        this.properties = properties;
        this.manager = manager;
    }

    @Override
    public void run(ApplicationArguments args) throws IOException {
        Files.createDirectories(properties.getWorkDir());
        Path runDir = Files.createTempDirectory(properties.getWorkDir(), "run-");
        try {
            exitCode = new DemoJob(properties, manager, System.out, runDir).run(workerCommand(args));
        } finally {
            deleteRecursively(runDir);
        }
    }

    @Override
    public int getExitCode() {
        return exitCode;
    }

    /**
     * Returns the command that starts a copy of this application on the same JDK and classpath,
     * with this process's arguments (such as {@code --interlock.backend=file}) except its own
     * {@code --demo.*} settings, which the job sets per worker.
     */
    private static List<String> workerCommand(ApplicationArguments args) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(WORKER_JVM_OPTIONS);
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(CounterDemoApplication.class.getName());
        for (String arg : args.getSourceArgs()) {
            if (!arg.startsWith("--demo.")) {
                command.add(arg);
            }
        }
        return command;
    }

    private static void deleteRecursively(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        } catch (IOException ex) {
            throw new UncheckedIOException("Cannot remove the demo's directory " + dir + "; remove it by hand", ex);
        }
    }
}
