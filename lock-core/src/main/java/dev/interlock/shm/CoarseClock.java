package dev.interlock.shm;

import org.jspecify.annotations.Nullable;

/**
 * Wall-clock milliseconds at {@value #TICK_MILLIS} ms resolution for the held-since field of lock
 * records, cheap enough for the uncontended lock path.
 *
 * <p>Why: {@link System#currentTimeMillis()} costs 20–30 ns here, two to three times the whole
 * uncontended compare-and-set pair (5 ns), which would break the "within 2x of {@code
 * ReentrantLock}" target. Reading this clock is one volatile load. One daemon thread per JVM
 * refreshes it while at least one {@link SHMLockManager} is open, and ends when the last one
 * closes; held-since times are therefore accurate to {@value #TICK_MILLIS} ms, which is plenty for
 * "who holds what since when".
 *
 * @author Interlock team
 */
final class CoarseClock {

    static final long TICK_MILLIS = 10;

    private static volatile long nowMillis = System.currentTimeMillis();

    /** Open managers; the ticking thread runs while this is positive. Guarded by the class. */
    private static int users;

    private static @Nullable Thread ticker;

    private CoarseClock() {}

    /** Returns the current time in epoch milliseconds, at most {@value #TICK_MILLIS} ms old while in use. */
    static long millis() {
        return nowMillis;
    }

    /** Registers an open manager, starting the ticking thread if it is the first. */
    static synchronized void acquire() {
        nowMillis = System.currentTimeMillis();
        if (users++ == 0) {
            Thread thread = new Thread(CoarseClock::tick, "interlock-coarse-clock");
            thread.setDaemon(true);
            ticker = thread;
            thread.start();
        }
    }

    /** Unregisters a closed manager, stopping the ticking thread after the last one. */
    static synchronized void release() {
        if (--users == 0 && ticker != null) {
            ticker.interrupt();
            ticker = null;
        }
    }

    private static void tick() {
        Thread me = Thread.currentThread();
        while (!me.isInterrupted()) {
            nowMillis = System.currentTimeMillis();
            try {
                Thread.sleep(TICK_MILLIS);
            } catch (InterruptedException ex) {
                return;
            }
        }
    }
}
