package dev.interlock.shm;

import dev.interlock.Locker;
import dev.interlock.RecoveryListener;
import dev.interlock.testing.SharedCounter;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Child-JVM main for the SHM multi-process tests. Arguments: {@code segment counterDir role
 * [lockId]}. Every increment goes to {@code counterDir/counter-<id>} under lock {@code id}.
 *
 * <ul>
 *   <li>{@code holder id}: locks {@code id}, increments, prints {@code LOCKED <id>} and then keeps
 *       the lock until it is killed (or exits with 3 after 60 s, so it never outlives a broken
 *       test for long).
 *   <li>{@code waiter}: for each input line {@code lock <id>} prints {@code WAITING <id>}, locks,
 *       increments, prints {@code ACQUIRED <id> <epochMillis>}, unlocks and prints {@code
 *       UNLOCKED <id>}; for {@code name <name>} binds the name and prints {@code NAMED <name>
 *       <id>}; for {@code free <id>} frees the ID and prints {@code FREED <id>}; ends at end of
 *       input. Recoveries are printed as {@code RECOVERED <id> <deadPid>}.
 * </ul>
 *
 * @author Interlock team
 */
public final class ShmChild {

    private ShmChild() {}

    /**
     * Runs the child.
     *
     * @param args {@code segment counterDir holder id} or {@code segment counterDir waiter}
     * @throws IOException if standard input cannot be read
     * @throws InterruptedException if interrupted while holding
     */
    public static void main(String[] args) throws IOException, InterruptedException {
        String segment = args[0];
        Path counters = Path.of(args[1]);
        RecoveryListener report = dead -> System.out.println("RECOVERED " + dead.id() + " "
                + (dead.ownerPid().isPresent() ? dead.ownerPid().getAsLong() : -1));
        SHMLockManager.Options options = SHMLockManager.Options.defaults().withRecoveryListener(report);
        try (SHMLockManager manager = SHMLockManager.open(segment, ShmOpener.NUM_LOCKS, options)) {
            if (args[2].equals("holder")) {
                int id = Integer.parseInt(args[3]);
                manager.retrieveLock(id).lock();
                new SharedCounter(counters.resolve("counter-" + id)).increment();
                System.out.println("LOCKED " + id);
                Thread.sleep(Duration.ofSeconds(60).toMillis());
                System.exit(3);
            }
            System.out.println("READY");
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                if (line.startsWith("name ")) {
                    String name = line.substring("name ".length());
                    System.out.println(
                            "NAMED " + name + " " + manager.namedLock(name).id());
                    continue;
                }
                if (line.startsWith("free ")) {
                    int id = Integer.parseInt(line.substring("free ".length()));
                    manager.retrieveLock(id).free();
                    System.out.println("FREED " + id);
                    continue;
                }
                int id = Integer.parseInt(line.substring("lock ".length()));
                Locker locker = manager.retrieveLock(id);
                System.out.println("WAITING " + id);
                locker.lock();
                new SharedCounter(counters.resolve("counter-" + id)).increment();
                System.out.println("ACQUIRED " + id + " " + System.currentTimeMillis());
                locker.unlock();
                System.out.println("UNLOCKED " + id);
            }
        }
    }
}
