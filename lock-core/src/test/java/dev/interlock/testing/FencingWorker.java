package dev.interlock.testing;

import dev.interlock.LockHandle;
import dev.interlock.Locker;
import dev.interlock.Manager;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Child-JVM main for fencing-token tests of any backend. Arguments: {@code openerClass location
 * role ...}.
 *
 * <ul>
 *   <li>{@code count holds resourceFile tokenFile}: prints {@code READY}, waits for a line {@code
 *       go} on standard input, then takes lock 0 {@code holds} times; in each hold it reads the
 *       {@link FencedFile} and writes its value plus one with the hold's token. It writes every
 *       token to {@code tokenFile}, one per line, and prints {@code DONE <refused writes>}.
 *   <li>{@code hold}: takes lock 0, prints {@code HOLDING <token>} and keeps the lock until it is
 *       killed (or exits with 3 after 60 s, so it never outlives a broken test for long).
 * </ul>
 *
 * @author Interlock team
 */
public final class FencingWorker {

    private FencingWorker() {}

    /**
     * Runs the worker.
     *
     * @param args {@code openerClass location count holds resourceFile tokenFile} or {@code
     *     openerClass location hold}
     * @throws IOException if standard input or the token file fails
     * @throws InterruptedException if interrupted while holding
     */
    public static void main(String[] args) throws IOException, InterruptedException {
        try (Manager manager = ManagerOpener.forClassName(args[0]).open(args[1])) {
            Locker locker = manager.retrieveLock(0);
            if (args[2].equals("hold")) {
                locker.lock();
                System.out.println("HOLDING " + locker.fencingToken());
                Thread.sleep(Duration.ofSeconds(60).toMillis());
                System.exit(3);
            }
            int holds = Integer.parseInt(args[3]);
            FencedFile resource = new FencedFile(Path.of(args[4]));
            System.out.println("READY");
            String go = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
            if (!"go".equals(go)) {
                throw new IllegalStateException("Expected 'go' on standard input, got " + go);
            }
            List<Long> tokens = new ArrayList<>(holds);
            int refused = 0;
            for (int i = 0; i < holds; i++) {
                try (LockHandle held = locker.acquire()) {
                    long token = held.fencingToken();
                    tokens.add(token);
                    if (!resource.write(token, resource.value() + 1)) {
                        refused++;
                    }
                }
            }
            Files.writeString(
                    Path.of(args[5]), tokens.stream().map(String::valueOf).collect(Collectors.joining("\n")));
            System.out.println("DONE " + refused);
        }
    }
}
