package dev.interlock.testing;

import dev.interlock.Locker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Measures how long a waiter waits for a lock that other holders hold busily for a while, unlock and
 * relock at once, in a loop: the pattern that starves the waiters of a lock that lets a releaser
 * barge in again, because the lock is free only for the instant between unlock and relock. Each hog
 * runs on its own thread; give them their own managers, so that they compete as other processes
 * would.
 *
 * @author Interlock team
 */
public final class BargingProbe {

    private BargingProbe() {}

    /**
     * Starts the hogs, waits until each has taken the lock once, then lets {@code waiter} acquire
     * (and release) the lock {@code acquisitions} times while they go on, and stops them.
     *
     * @param hogs lockers of the lock, each relocked in a loop by a thread of its own
     * @param hold how long a hog holds the lock each time, spinning (a critical section's work)
     * @param waiter a locker of the same lock in another manager
     * @param acquisitions how many times the waiter acquires
     * @param giveUp how long the waiter waits at most for one acquisition
     * @return the waiter's longest wait
     * @throws AssertionError if the waiter did not get the lock within {@code giveUp}, or a hog
     *     failed
     * @throws InterruptedException if interrupted
     */
    public static Duration longestWait(
            List<Locker> hogs, Duration hold, Locker waiter, int acquisitions, Duration giveUp)
            throws InterruptedException {
        long holdNanos = hold.toNanos();
        AtomicBoolean done = new AtomicBoolean();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        CountDownLatch hogging = new CountDownLatch(hogs.size());
        List<Thread> threads = new ArrayList<>();
        for (Locker hog : hogs) {
            Thread thread = new Thread(
                    () -> {
                        try {
                            hog.lock();
                            hog.unlock();
                            hogging.countDown();
                            while (!done.get()) {
                                hog.lock();
                                long acquired = System.nanoTime();
                                while (System.nanoTime() - acquired < holdNanos) {
                                    Thread.onSpinWait();
                                }
                                hog.unlock();
                            }
                        } catch (Throwable ex) {
                            failure.compareAndSet(null, ex);
                            hogging.countDown();
                        }
                    },
                    "hog of " + hog);
            thread.setDaemon(true);
            threads.add(thread);
            thread.start();
        }
        long longest = 0;
        try {
            if (!hogging.await(giveUp.toNanos(), TimeUnit.NANOSECONDS)) {
                throw new AssertionError("The hogs did not take the lock once within " + giveUp);
            }
            for (int i = 1; i <= acquisitions && failure.get() == null; i++) {
                long began = System.nanoTime();
                boolean acquired = waiter.tryLock(giveUp);
                long waited = System.nanoTime() - began;
                if (!acquired) {
                    throw new AssertionError("Acquisition " + i + " of " + acquisitions + " did not get " + waiter
                            + " within " + giveUp + " while " + hogs.size()
                            + " other holder(s) unlocked and relocked it in a loop: the waiter starved");
                }
                waiter.unlock();
                longest = Math.max(longest, waited);
            }
        } finally {
            done.set(true);
            for (Thread thread : threads) {
                thread.join(giveUp.toMillis());
            }
        }
        Throwable failed = failure.get();
        if (failed != null) {
            throw new AssertionError("A hog failed", failed);
        }
        for (Thread thread : threads) {
            if (thread.isAlive()) {
                throw new AssertionError(thread.getName() + " still runs " + giveUp + " after being stopped");
            }
        }
        return Duration.ofNanos(longest);
    }
}
