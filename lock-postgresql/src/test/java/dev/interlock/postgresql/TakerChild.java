package dev.interlock.postgresql;

import dev.interlock.Locker;
import dev.interlock.Manager;
import java.time.Duration;

/**
 * Child-JVM main that waits for a lock held elsewhere and reports when it got it. Arguments:
 * {@code location id timeoutSeconds} (see {@link PostgresOpener}). Prints {@code WAITING} before
 * it waits, then {@code ACQUIRED <token> <System.nanoTime()>} (the monotonic clock is shared by the
 * processes of one Linux host, so the parent can order the events) or {@code TIMEOUT}.
 *
 * @author Interlock team
 */
public final class TakerChild {

    private TakerChild() {}

    /**
     * Runs the child.
     *
     * @param args {@code location id timeoutSeconds}
     * @throws InterruptedException if interrupted while waiting
     */
    public static void main(String[] args) throws InterruptedException {
        try (Manager manager = new PostgresOpener().open(args[0])) {
            Locker locker = manager.retrieveLock(Integer.parseInt(args[1]));
            System.out.println("WAITING");
            if (locker.tryLock(Duration.ofSeconds(Long.parseLong(args[2])))) {
                long at = System.nanoTime();
                System.out.println("ACQUIRED " + locker.fencingToken() + " " + at);
                locker.unlock();
            } else {
                System.out.println("TIMEOUT");
            }
        }
    }
}
