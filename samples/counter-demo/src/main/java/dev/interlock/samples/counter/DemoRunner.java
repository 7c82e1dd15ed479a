package dev.interlock.samples.counter;

import java.io.IOException;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.ApplicationArguments;
import org.springframework.boot.ApplicationRunner;
import org.springframework.boot.ExitCodeGenerator;
import org.springframework.stereotype.Component;

/**
 * Decides at run time what this process of the demo does, and does it: the {@link Coordinator}
 * of a job, one of its {@link Worker}s, or nothing more in service mode, where the scheduled
 * increments do the work.
 *
 * <p>The choice is made here, not by bean conditions: with Spring AOT, conditions are evaluated
 * once at build time, and a demo whose coordinator and worker beans were chosen by {@code
 * demo.mode} started every worker as a coordinator that started workers of its own. A worker is
 * marked by the environment variable {@value #WORKER_OF}, which the job sets on every worker it
 * starts (to its own pid) and which no Spring setting can change; a process that has it is a
 * worker, and never starts workers.
 *
 * @author Interlock team
 */
@Component
class DemoRunner implements ApplicationRunner, ExitCodeGenerator {

    /** Set by the job on every worker it starts, to the job's pid; marks a worker process. */
    static final String WORKER_OF = "COUNTER_DEMO_WORKER_OF";

    private final DemoProperties properties;

    private final Coordinator coordinator;

    private final Worker worker;

    private int exitCode;

    DemoRunner(DemoProperties properties, Coordinator coordinator, Worker worker) {
        this.properties = properties;
        this.coordinator = coordinator;
        this.worker = worker;
    }

    @Override
    public void run(ApplicationArguments args) throws IOException {
        if (jobPid() != null) {
            exitCode = worker.run();
        } else if (properties.getMode() == DemoProperties.Mode.JOB) {
            exitCode = coordinator.run(args);
        }
    }

    @Override
    public int getExitCode() {
        return exitCode;
    }

    /**
     * Returns the pid of the job that started this process as a worker.
     *
     * @return the pid as the job set it, or {@code null} if this process is not a worker
     */
    static @Nullable String jobPid() {
        return System.getenv(WORKER_OF);
    }
}
