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
import org.springframework.aot.AotDetector;
import org.springframework.boot.ApplicationArguments;
import org.springframework.stereotype.Component;

/**
 * The demo's default job: runs a {@link DemoJob} with worker processes that are copies of this
 * application, in a fresh directory that it removes afterwards, and makes the outcome the exit
 * code. {@link DemoRunner} calls it in a process that is not a worker; it refuses to run in one
 * that is, so the demo can never start more than {@code demo.workers} processes besides the job.
 *
 * @author Interlock team
 */
@Component
class Coordinator {

    /**
     * JVM options that start a short-lived worker quickly on a small machine, and let JNA load
     * without the JDK 24+ "restricted method" warning (the option exists from JDK 17 on).
     */
    private static final List<String> WORKER_JVM_OPTIONS = List.of(
            "-XX:TieredStopAtLevel=1",
            "-XX:+UseSerialGC",
            "-Xshare:auto",
            "-Xmx96m",
            "--enable-native-access=ALL-UNNAMED");

    private final DemoProperties properties;

    private final Manager manager;

    Coordinator(DemoProperties properties, Manager manager) {
        this.properties = properties;
        this.manager = manager;
    }

    /**
     * Runs the job.
     *
     * @param args this process's arguments, passed on to the workers except {@code --demo.*}
     * @return the exit code: {@link DemoJob#EXACT}, {@link DemoJob#WRONG} or {@link DemoJob#STUCK}
     * @throws IOException if the run's directory cannot be created
     */
    int run(ApplicationArguments args) throws IOException {
        Files.createDirectories(properties.getWorkDir());
        Path runDir = Files.createTempDirectory(properties.getWorkDir(), "run-");
        try {
            return new DemoJob(properties, manager, System.out, runDir).run(workerCommand(args));
        } finally {
            deleteRecursively(runDir);
        }
    }

    /**
     * Returns the command that starts a copy of this application on the same JDK and classpath,
     * with this process's arguments (such as {@code --interlock.backend=file}) except its own
     * {@code --demo.*} settings, which the job sets per worker. A job that runs with Spring AOT
     * starts its workers with it too.
     */
    private static List<String> workerCommand(ApplicationArguments args) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(WORKER_JVM_OPTIONS);
        if (AotDetector.useGeneratedArtifacts()) {
            command.add("-D" + AotDetector.AOT_ENABLED + "=true");
        }
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
