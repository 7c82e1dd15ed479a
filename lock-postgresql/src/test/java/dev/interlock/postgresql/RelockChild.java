package dev.interlock.postgresql;

import dev.interlock.Locker;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Child-JVM main that takes and releases one lock in a tight loop and counts its acquisitions.
 * Arguments: {@code url lockSpace numLocks id handOffAcquisitions handOffMillis}. Prints {@code
 * RELOCKING} once the loop runs; answers each line {@code COUNT <tag>} on standard input with
 * {@code COUNT <tag> <acquisitions so far>}; stops at {@code STOP} or the end of its input.
 *
 * @author Interlock team
 */
public final class RelockChild {

    private RelockChild() {}

    /**
     * Runs the child.
     *
     * @param args {@code url lockSpace numLocks id handOffAcquisitions handOffMillis}
     * @throws Exception if the lock or the input fails
     */
    public static void main(String[] args) throws Exception {
        PostgresLockManager.Options options = TestServers.options()
                .withHandOffAfter(Integer.parseInt(args[4]), Duration.ofMillis(Long.parseLong(args[5])));
        try (PostgresLockManager manager =
                PostgresLockManager.open(args[0], args[1], Integer.parseInt(args[2]), options)) {
            Locker locker = manager.retrieveLock(Integer.parseInt(args[3]));
            AtomicLong acquisitions = new AtomicLong();
            AtomicBoolean stop = new AtomicBoolean();
            Thread loop = new Thread(
                    () -> {
                        while (!stop.get()) {
                            locker.lock();
                            acquisitions.incrementAndGet();
                            locker.unlock();
                        }
                    },
                    "relock");
            loop.setDaemon(true);
            loop.start();
            System.out.println("RELOCKING");
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            String line;
            while ((line = in.readLine()) != null && !line.equals("STOP")) {
                if (line.startsWith("COUNT ")) {
                    System.out.println(line + " " + acquisitions.get());
                }
            }
            stop.set(true);
            loop.join(Duration.ofSeconds(30).toMillis());
        }
    }
}
