package dev.interlock.benchmarks.multiprocess;

import dev.interlock.benchmarks.Backend;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.LoggerFactory;

/**
 * A child JVM of the multi-process benchmark. It lives for the whole benchmark (so it is warmed up
 * after the first round) and obeys one command per line on standard input, answering on standard
 * output:
 *
 * <pre>
 * PREPARE subject location numLocks pattern threads durationMillis firstThreadIndex
 *                              opens the storage and starts the threads → PREPARED
 * GO                           hammers, closes the session         → RESULT ... (see HammerResult)
 * EXIT                         ends the process
 * </pre>
 *
 * The subject is a {@link Backend} or a {@link PostgresSubject}. Any failure is answered with
 * {@code ERROR message} and ends the process with status 1; the stack trace is logged to standard
 * error, which the parent appends to its children's log.
 *
 * @author Interlock team
 * @since 0.1.0
 */
public final class HammerChild {

    private HammerChild() {}

    /**
     * Runs the command loop until {@code EXIT} or the end of standard input.
     *
     * @param args ignored
     */
    public static void main(String[] args) {
        PrintStream out = System.out;
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        try {
            LockSession session = null;
            Hammer hammer = null;
            String line;
            while ((line = in.readLine()) != null && !line.equals("EXIT")) {
                String[] words = line.split(" ");
                switch (words[0]) {
                    case "PREPARE" -> {
                        int numLocks = Integer.parseInt(words[3]);
                        LockPattern pattern = LockPattern.valueOf(words[4]);
                        int threads = Integer.parseInt(words[5]);
                        Duration duration = Duration.ofMillis(Long.parseLong(words[6]));
                        int firstThread = Integer.parseInt(words[7]);
                        session = open(words[1], words[2], numLocks);
                        List<ContendedLock> locks = new ArrayList<>();
                        for (int i = 0; i < threads; i++) {
                            locks.add(session.lock(pattern.lockIdFor(firstThread + i)));
                        }
                        hammer = Hammer.prepare(locks, duration);
                        out.println("PREPARED");
                    }
                    case "GO" -> {
                        if (hammer == null || session == null) {
                            throw new IllegalStateException("GO before PREPARE: the parent must prepare each run");
                        }
                        HammerResult result = hammer.run();
                        session.close();
                        session = null;
                        hammer = null;
                        out.println(result.toLine());
                    }
                    default ->
                        throw new IllegalArgumentException("Unknown command '" + line
                                + "'; expected PREPARE, GO or EXIT from the parent of the same build");
                }
                out.flush();
            }
        } catch (Exception ex) {
            out.println("ERROR " + ex);
            out.flush();
            LoggerFactory.getLogger(HammerChild.class).error("Benchmark child failed; the parent stops the run", ex);
            System.exit(1);
        }
    }

    /** Opens what the threads of one run hammer, from the subject's name and location. */
    private static LockSession open(String subject, String location, int numLocks) throws IOException {
        Optional<PostgresSubject> postgres = PostgresSubject.find(subject);
        if (postgres.isPresent()) {
            return postgres.get().open(location, numLocks);
        }
        Backend backend = Backend.valueOf(subject);
        // A backend that is not multiprocess gets fresh storage here; the parent runs it with one
        // process only.
        return LockSession.of(
                backend.multiprocess()
                        ? backend.open(location, numLocks)
                        : backend.create(numLocks).manager());
    }
}
