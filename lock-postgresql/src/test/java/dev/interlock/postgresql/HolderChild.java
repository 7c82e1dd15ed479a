package dev.interlock.postgresql;

import dev.interlock.Locker;
import dev.interlock.Manager;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;

/**
 * Child-JVM main that takes one lock and holds it until killed. Arguments: {@code location id}
 * (see {@link PostgresOpener}). Prints {@code LOCKED <token>} once it holds the lock.
 *
 * @author Interlock team
 */
public final class HolderChild {

    private HolderChild() {}

    /**
     * Runs the child.
     *
     * @param args {@code location id}
     * @throws IOException if standard input fails
     */
    public static void main(String[] args) throws IOException {
        Manager manager = new PostgresOpener().open(args[0]);
        Locker locker = manager.retrieveLock(Integer.parseInt(args[1]));
        locker.lock();
        System.out.println("LOCKED " + locker.fencingToken());
        // Hold until killed (the test sends SIGKILL) or told to stop.
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
        locker.unlock();
        manager.close();
    }
}
