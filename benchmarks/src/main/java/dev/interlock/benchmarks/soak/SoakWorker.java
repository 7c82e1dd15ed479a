package dev.interlock.benchmarks.soak;

import dev.interlock.Locker;
import dev.interlock.Manager;
import dev.interlock.benchmarks.Backend;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.LockSupport;

/**
 * One soak worker process. Arguments: {@code <backend> <location> <counter file>}. It opens the
 * storage, prints {@code READY}, waits for {@code GO} on standard input, then loops until it reads
 * {@code STOP} (or is killed): lock 0; note {@code System.nanoTime()} (one clock for every process
 * of the machine); read the counter file (total, then the acquisition time of the last increment);
 * stay 1 to 3 ms in the critical section; write total + 1 and its acquisition time in one {@code
 * pwrite}; print {@code INC <own increments>}; unlock. On {@code STOP} it prints {@code COUNT
 * <own increments>} and exits.
 *
 * <p>Every increment is printed after the write and before the unlock, so a worker killed in its
 * critical section has written at most one increment more than it printed.
 *
 * @author Interlock team
 */
public final class SoakWorker {

    /** Counter file layout: total (int64) at 0, acquisition nanoTime of the last increment (int64) at 8. */
    static final int COUNTER_BYTES = 16;

    private SoakWorker() {}

    /**
     * Runs the worker.
     *
     * @param args {@code <backend> <location> <counter file>}
     * @throws IOException if the counter file or standard input fails
     */
    public static void main(String[] args) throws IOException {
        Backend backend = Backend.valueOf(args[0]);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        try (Manager manager = backend.open(args[1], SoakDriver.NUM_LOCKS);
                FileChannel counter =
                        FileChannel.open(Path.of(args[2]), StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            Locker lock = manager.retrieveLock(0);
            System.out.println("READY");
            System.out.flush();
            if (!"GO".equals(in.readLine())) {
                return;
            }
            Thread stopper = new Thread(() -> {
                try {
                    in.readLine();
                } catch (IOException ex) {
                    // End of input: stop too.
                }
                stopRequested = true;
            });
            stopper.setDaemon(true);
            stopper.start();
            ByteBuffer buffer = ByteBuffer.allocate(COUNTER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            long own = 0;
            while (!stopRequested) {
                lock.lock();
                try {
                    long acquired = System.nanoTime();
                    buffer.clear();
                    counter.read(buffer, 0);
                    long total = buffer.getLong(0);
                    LockSupport.parkNanos(ThreadLocalRandom.current().nextLong(1_000_000, 3_000_000));
                    buffer.clear();
                    buffer.putLong(0, total + 1).putLong(8, acquired);
                    counter.write(buffer, 0);
                    own++;
                    System.out.println("INC " + own);
                    System.out.flush();
                } finally {
                    lock.unlock();
                }
            }
            System.out.println("COUNT " + own);
            System.out.flush();
        }
    }

    private static volatile boolean stopRequested;
}
