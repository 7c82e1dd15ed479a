package dev.interlock.file;

import dev.interlock.Locker;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Child-JVM main that drives a {@link FileLockManager} by commands read from standard input, one
 * per line, for the multi-process tests. Arguments: {@code <lock directory>}. It prints {@code
 * READY <pid>}, then answers each command with one line; lines that report a moment carry {@code
 * System.nanoTime()}, which is the same clock in every process of the machine.
 *
 * <ul>
 *   <li>{@code lock N}: prints {@code LOCKING N}, locks, prints {@code LOCKED N <nanos>}
 *   <li>{@code unlock N}: unlocks, prints {@code UNLOCKED N <nanos>}
 *   <li>{@code trylock N}: prints {@code TRYLOCK N true|false}
 *   <li>{@code allocate}: prints {@code ALLOCATED <id>}
 *   <li>{@code free N}: prints {@code FREED N}
 *   <li>{@code names PREFIX COUNT}: binds {@code PREFIX-0 .. PREFIX-COUNT-1}, prints {@code NAMES
 *       <id> <id> ...}
 *   <li>{@code exit}: closes the manager and exits with 0
 * </ul>
 *
 * Any exception is printed as {@code FAILED <class> <message>}, and the child exits with 1.
 *
 * @author Interlock team
 */
public final class FileLockChild {

    private FileLockChild() {}

    /**
     * Runs the child.
     *
     * @param args {@code <lock directory>}
     * @throws IOException if standard input fails
     */
    public static void main(String[] args) throws IOException {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        try (FileLockManager manager = FileLockManager.open(Path.of(args[0]))) {
            System.out.println("READY " + ProcessHandle.current().pid());
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                String[] words = line.split(" ");
                if (words[0].equals("exit")) {
                    break;
                }
                System.out.println(run(manager, words));
            }
        } catch (RuntimeException ex) {
            System.out.println("FAILED " + ex.getClass().getName() + " " + ex.getMessage());
            System.exit(1);
        }
        System.exit(0);
    }

    private static String run(FileLockManager manager, String[] words) {
        switch (words[0]) {
            case "lock":
                Locker locker = manager.retrieveLock(Integer.parseInt(words[1]));
                System.out.println("LOCKING " + words[1]);
                locker.lock();
                return "LOCKED " + words[1] + " " + System.nanoTime();
            case "unlock":
                manager.retrieveLock(Integer.parseInt(words[1])).unlock();
                return "UNLOCKED " + words[1] + " " + System.nanoTime();
            case "trylock":
                return "TRYLOCK " + words[1] + " "
                        + manager.retrieveLock(Integer.parseInt(words[1])).tryLock();
            case "allocate":
                return "ALLOCATED " + manager.allocateLock().id();
            case "free":
                manager.retrieveLock(Integer.parseInt(words[1])).free();
                return "FREED " + words[1];
            case "names":
                List<String> ids = new ArrayList<>();
                for (int i = 0; i < Integer.parseInt(words[2]); i++) {
                    ids.add(String.valueOf(manager.namedLock(words[1] + "-" + i).id()));
                }
                return "NAMES " + String.join(" ", ids);
            default:
                throw new IllegalArgumentException("Unknown command: " + String.join(" ", words));
        }
    }
}
