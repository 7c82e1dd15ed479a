package dev.interlock.samples.counter;

import java.nio.file.Path;

/**
 * The lines a worker process and the job exchange on the worker's standard input and output.
 * Every other line a worker prints (a warning log, a stack trace) is shown to the user as it is.
 *
 * <ul>
 *   <li>worker: {@code READY <pid>} once its application context is up;
 *   <li>job: {@code GO} when every worker is ready, so that all start together;
 *   <li>worker: {@code PROGRESS <increments done>} every {@value #PROGRESS_EVERY} increments;
 *   <li>the worker to kill or freeze: {@code HOLDING <increments done> <count read> <fencing
 *       token>} from inside the critical section, then it waits for {@code SIGKILL}, or, with the
 *       PostgreSQL backend, for {@code SIGSTOP}, {@code SIGCONT} and then
 *   <li>job: {@code RESUME}: the frozen worker goes on with the write it was about to make;
 *   <li>worker: {@code REFUSED <value> <token> <last token>} when the counter refused a write
 *       because a later holder wrote with a greater token (the worker then retries the increment),
 *       and {@code LOST <token> <reason>} when the worker learned that its hold was lost;
 *   <li>worker: {@code DONE <increments done> <recoveries>} after writing its samples file, where
 *       recoveries counts the locks the backend took over from dead holders in that worker (-1
 *       when unknown).
 * </ul>
 *
 * @author Interlock team
 */
final class WorkerProtocol {

    static final String READY = "READY";

    static final String GO = "GO";

    static final String PROGRESS = "PROGRESS";

    static final String HOLDING = "HOLDING";

    static final String RESUME = "RESUME";

    static final String REFUSED = "REFUSED";

    static final String LOST = "LOST";

    static final String DONE = "DONE";

    /** How many increments a worker does between two progress lines. */
    static final int PROGRESS_EVERY = 50;

    private WorkerProtocol() {}

    /**
     * Returns the samples file a worker writes its waits and acquisition times to.
     *
     * @param workDir the run's directory
     * @param number the worker's number
     * @return the file
     */
    static Path samplesFile(Path workDir, int number) {
        return workDir.resolve("worker-" + number + ".samples");
    }
}
