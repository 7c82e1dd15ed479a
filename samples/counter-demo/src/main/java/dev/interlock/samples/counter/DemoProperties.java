package dev.interlock.samples.counter;

import java.nio.file.Path;
import java.time.Duration;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Configuration properties of the counter demo, under the prefix {@code demo}.
 *
 * @author Interlock team
 * @since 0.1.0
 */
@ConfigurationProperties("demo")
public class DemoProperties {

    /** What this process does. */
    private Mode mode = Mode.JOB;

    /** How many worker processes the job starts; one of them is killed while it holds the lock. */
    private int workers = 4;

    /**
     * How many increments each worker performs (the killed one stops early). Defaults to 2000, or
     * to 250 with the postgresql backend, whose every increment takes several round trips and two
     * commits (the temporary lock name is bound and freed).
     */
    private @Nullable Integer increments;

    /** How long the job may take before it gives up and reports the workers as stuck. */
    private Duration timeout = Duration.ofSeconds(60);

    /** Directory of the counter file; the job makes a fresh subdirectory for each run. */
    private Path workDir = Path.of(System.getProperty("java.io.tmpdir"), "interlock-counter-demo");

    /** Service mode: how long each increment keeps the lock, so that waits become visible. */
    private Duration serviceHold = Duration.ofMillis(200);

    private final Worker worker = new Worker();

    /**
     * Returns what this process does.
     *
     * @return the mode
     */
    public Mode getMode() {
        return mode;
    }

    /**
     * Sets what this process does.
     *
     * @param mode the mode
     */
    public void setMode(Mode mode) {
        this.mode = mode;
    }

    /**
     * Returns how many worker processes the job starts.
     *
     * @return the worker count
     */
    public int getWorkers() {
        return workers;
    }

    /**
     * Sets how many worker processes the job starts.
     *
     * @param workers at least 2: one to kill and one to take the lock over
     */
    public void setWorkers(int workers) {
        if (workers < 2) {
            throw new IllegalArgumentException("demo.workers must be at least 2 (one is killed while it holds the"
                    + " lock and another must take it over), but was " + workers);
        }
        this.workers = workers;
    }

    /**
     * Returns how many increments each worker performs, as configured.
     *
     * @return the increments per worker, or {@code null} for the backend's default
     */
    public @Nullable Integer getIncrements() {
        return increments;
    }

    /**
     * Returns how many increments each worker performs.
     *
     * @param postgresql whether the backend is postgresql, whose default is smaller
     * @return the configured count, or the default
     */
    int increments(boolean postgresql) {
        if (increments != null) {
            return increments;
        }
        return postgresql ? 250 : 2000;
    }

    /**
     * Sets how many increments each worker performs.
     *
     * @param increments at least 4, so that the kill happens while the others still work; {@code
     *     null} for the backend's default
     */
    public void setIncrements(@Nullable Integer increments) {
        if (increments != null && increments < 4) {
            throw new IllegalArgumentException("demo.increments must be at least 4, but was " + increments);
        }
        this.increments = increments;
    }

    /**
     * Returns how long the job may take.
     *
     * @return the timeout
     */
    public Duration getTimeout() {
        return timeout;
    }

    /**
     * Sets how long the job may take.
     *
     * @param timeout the timeout
     */
    public void setTimeout(Duration timeout) {
        this.timeout = timeout;
    }

    /**
     * Returns the directory of the counter file.
     *
     * @return the directory
     */
    public Path getWorkDir() {
        return workDir;
    }

    /**
     * Sets the directory of the counter file.
     *
     * @param workDir the directory
     */
    public void setWorkDir(Path workDir) {
        this.workDir = workDir;
    }

    /**
     * Returns how long each service-mode increment keeps the lock.
     *
     * @return the hold time
     */
    public Duration getServiceHold() {
        return serviceHold;
    }

    /**
     * Sets how long each service-mode increment keeps the lock.
     *
     * @param serviceHold the hold time
     */
    public void setServiceHold(Duration serviceHold) {
        this.serviceHold = serviceHold;
    }

    /**
     * Returns the settings the job passes to a worker process.
     *
     * @return the worker settings
     */
    public Worker getWorker() {
        return worker;
    }

    /**
     * What a process of the demo does.
     *
     * @author Interlock team
     * @since 0.1.0
     */
    public enum Mode {

        /** Start worker processes, kill one while it holds the lock, report the count and exit. */
        JOB,

        /** Keep running, incrementing the shared counter now and then, with the actuator on HTTP. */
        SERVICE
    }

    /**
     * Settings the job passes to each worker process.
     *
     * @author Interlock team
     * @since 0.1.0
     */
    public static class Worker {

        /** The worker's number, from 1, as the job reports it. */
        private int number = 1;

        /**
         * When not negative, this worker is the one to kill: at the first increment where it reads
         * at least this count, it announces that it holds the lock and waits to be killed.
         */
        private long holdAt = -1;

        /**
         * Returns the worker's number.
         *
         * @return the number, from 1
         */
        public int getNumber() {
            return number;
        }

        /**
         * Sets the worker's number.
         *
         * @param number the number, from 1
         */
        public void setNumber(int number) {
            this.number = number;
        }

        /**
         * Returns the count at which this worker holds the lock and waits to be killed.
         *
         * @return the count, or a negative number for a worker that is not killed
         */
        public long getHoldAt() {
            return holdAt;
        }

        /**
         * Sets the count at which this worker holds the lock and waits to be killed.
         *
         * @param holdAt the count, or a negative number for a worker that is not killed
         */
        public void setHoldAt(long holdAt) {
            this.holdAt = holdAt;
        }
    }
}
