package dev.interlock.shm;

import com.sun.jna.LastErrorException;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Learns at once that a holder process exited, for one manager instance (section 10 of {@code
 * docs/shm-layout.md}): one thread, started on the first wait for a holder in another process,
 * that sleeps in {@code poll(2)} on a pidfd ({@code pidfd_open(2)}, Linux 5.3 and later) per
 * holder process its waiters wait for. When one becomes readable (the process has exited, its
 * descriptors are closed and so its liveness lock is gone), it tells the {@link Session} (which
 * voids its cached confirmations of liveness and counts the death) and wakes the sleepers of every
 * lock word that still holds the dead session's token; each waiter then sees the count change and
 * checks its holder at once, instead of at its next periodic check.
 *
 * <p>A pidfd is only a hint. The open-file-description lock of the holder's owner slot stays the
 * authority: a pid read from the slot may belong to another pid namespace or have been reused
 * before the pidfd was opened, and a manager may close while its process lives on. A wrong hint
 * costs one liveness check (a death that is not the holder's) or leaves the waiter to its periodic
 * check (a holder whose exit the pidfd does not show), which is today's behaviour. The same holds
 * where {@code pidfd_open} is missing ({@code ENOSYS}) or forbidden ({@code EPERM}, a seccomp
 * filter): the watcher then turns itself off for the whole JVM.
 *
 * <p>A waiter can miss the first wake: it may read the death count just before the death and
 * enter the kernel just after the wake, on a word that did not change. So the watcher wakes the
 * dead holder's words again, {@value #FIRST_REWAKE_MILLIS} ms later and then at growing intervals,
 * while any of them still holds the dead token, up to about half a second; after that the
 * periodic check remains.
 *
 * @author Interlock team
 */
final class HolderWatcher {

    private static final Logger logger = LoggerFactory.getLogger(HolderWatcher.class);

    /** Wakes the sleepers on every lock word that holds a token; returns whether any does. */
    interface Waker {

        /**
         * Wakes every sleeper on a word that still holds {@code deadToken}.
         *
         * @return whether any word still holds it
         */
        boolean wakeHeldBy(int deadToken);
    }

    /** First re-wake after a death; each next one comes twice as late. */
    static final int FIRST_REWAKE_MILLIS = 1;

    private static final int REWAKES = 9;

    /** How often the thread wakes when nothing happens, to drop watches nobody used for long. */
    private static final int IDLE_POLL_MILLIS = 1000;

    /** A watch nobody asked for in this long is dropped (its pidfd closed). */
    private static final long IDLE_WATCH_MILLIS = 10_000;

    /** Set once pidfd_open failed with ENOSYS or EPERM: it will fail for every watcher of this JVM. */
    private static volatile boolean unsupported;

    /** The pidfd of a watch that has none: {@code poll} ignores negative descriptors. */
    private static final int BLIND = -1;

    /** One holder session watched: its token, its process's pidfd, when a waiter last asked. */
    private static final class Watch {

        final int token;

        final int pidfd;

        volatile long usedMillis;

        Watch(int token, int pidfd) {
            this.token = token;
            this.pidfd = pidfd;
            this.usedMillis = CoarseClock.millis();
        }
    }

    /** A dead token whose words are woken again at {@code dueNanos}. */
    private record Rewake(int token, int attempt, long dueNanos) {}

    private final Session session;

    private final Waker waker;

    private final String name;

    /** The watch of each owner slot, or null; replaced under {@link #lifecycle}. */
    private final AtomicReferenceArray<@Nullable Watch> watches = new AtomicReferenceArray<>(ShmLayout.OWNER_SLOTS);

    /** Watches replaced by a newer session's: their pidfds are closed by the thread. */
    private final ConcurrentLinkedQueue<Watch> replaced = new ConcurrentLinkedQueue<>();

    private final Object lifecycle = new Object();

    /** Wakes the thread to add a new watch or to stop; -1 until the thread starts. Guarded by lifecycle. */
    private int eventFd = -1;

    /** Guarded by lifecycle. */
    private boolean closed;

    /** Set if the thread failed: waiters then rely on their periodic checks. */
    private volatile boolean broken;

    HolderWatcher(Session session, Waker waker, String name) {
        this.session = session;
        this.waker = waker;
        this.name = name;
    }

    /**
     * Makes sure the process of the session that wrote {@code holderToken} is watched; called by a
     * waiter before it sleeps. Costs a few memory reads when it is already watched.
     *
     * @return {@code true} if the waiter should check its holder now: the watch is new (the holder
     *     may have died before it was set up) or the holder's process is already gone
     */
    boolean watch(int holderToken) {
        if (unsupported || broken) {
            return false;
        }
        Watch watch = watches.get(holderToken & ShmLayout.SLOT_MASK);
        if (watch != null && watch.token == holderToken) {
            long now = CoarseClock.millis();
            if (watch.usedMillis != now) {
                watch.usedMillis = now;
            }
            return false;
        }
        return open(holderToken);
    }

    private boolean open(int holderToken) {
        int slot = holderToken & ShmLayout.SLOT_MASK;
        synchronized (lifecycle) {
            Watch current = watches.get(slot);
            if (closed || unsupported || broken) {
                return false;
            }
            if (current != null && current.token == holderToken) {
                return false;
            }
            OptionalLong pid = session.pidOf(holderToken);
            if (pid.isEmpty()) {
                // The slot belongs to another session now (or never recorded a pid): the holder
                // is dead or about to be found so.
                return true;
            }
            int pidfd;
            try {
                if (eventFd < 0) {
                    start();
                }
                pidfd = NativeCalls.pidfdOpen((int) pid.getAsLong());
            } catch (LastErrorException ex) {
                pidfd = BLIND;
                if (failedToOpen(ex, pid.getAsLong())) {
                    return true;
                }
            }
            // A blind watch (no pidfd) keeps the waiters from retrying for a pid we cannot watch.
            watches.set(slot, new Watch(holderToken, pidfd));
            if (current != null) {
                replaced.add(current);
            }
            NativeCalls.eventfdSignal(eventFd);
            return true;
        }
    }

    /**
     * Handles a failed {@code pidfd_open}: returns {@code true} if nothing is to be watched at all
     * (unsupported here), {@code false} if a blind watch should stand for the holder.
     */
    private boolean failedToOpen(LastErrorException ex, long pid) {
        int errno = ex.getErrorCode();
        if (errno == NativeCalls.ESRCH) {
            // Already gone, or in another pid namespace: the waiter checks now, and later periodically.
            session.holderDied();
            return false;
        }
        if (eventFd < 0 || errno == NativeCalls.ENOSYS || errno == NativeCalls.EPERM) {
            unsupported = true;
            logger.debug(
                    "Cannot watch holder processes of {} (errno {} for pid {}); waiters notice a dead holder"
                            + " by their periodic liveness checks only",
                    name,
                    errno,
                    pid);
            return true;
        }
        return false;
    }

    /** Creates the eventfd and starts the thread; under {@link #lifecycle}. */
    private void start() {
        eventFd = NativeCalls.eventfdOpen();
        Thread thread = new Thread(this::run, "interlock-shm-watcher " + name);
        thread.setDaemon(true);
        thread.start();
    }

    /** Stops the thread, which closes every descriptor it opened; waiters fall back to their checks. */
    void close() {
        synchronized (lifecycle) {
            closed = true;
            if (eventFd >= 0) {
                NativeCalls.eventfdSignal(eventFd);
            }
        }
    }

    private void run() {
        List<Watch> polled = new ArrayList<>();
        List<Rewake> rewakes = new ArrayList<>();
        int[] pollfds = new int[2];
        try {
            while (true) {
                int eventFd;
                synchronized (lifecycle) {
                    if (closed) {
                        closeAll();
                        return;
                    }
                    eventFd = this.eventFd;
                }
                for (Watch old = replaced.poll(); old != null; old = replaced.poll()) {
                    closePidfd(old);
                }
                dropIdle();
                polled.clear();
                for (int slot = 0; slot < ShmLayout.OWNER_SLOTS; slot++) {
                    Watch watch = watches.get(slot);
                    if (watch != null) {
                        polled.add(watch);
                    }
                }
                if (pollfds.length < 2 * (polled.size() + 1)) {
                    pollfds = new int[2 * (polled.size() + 1) * 2];
                }
                pollfds[0] = eventFd;
                pollfds[1] = NativeCalls.POLLIN;
                for (int i = 0; i < polled.size(); i++) {
                    pollfds[2 * i + 2] = polled.get(i).pidfd;
                    pollfds[2 * i + 3] = NativeCalls.POLLIN;
                }
                int timeout = IDLE_POLL_MILLIS;
                long now = System.nanoTime();
                for (Rewake rewake : rewakes) {
                    long due = TimeUnit.NANOSECONDS.toMillis(Math.max(0, rewake.dueNanos - now + 999_999));
                    timeout = (int) Math.min(timeout, due);
                }
                if (NativeCalls.poll(pollfds, polled.size() + 1, timeout) > 0) {
                    if ((pollfds[1] >>> 16) != 0) {
                        NativeCalls.eventfdDrain(eventFd);
                    }
                    for (int i = 0; i < polled.size(); i++) {
                        if ((pollfds[2 * i + 3] >>> 16) != 0) {
                            exited(polled.get(i), rewakes);
                        }
                    }
                }
                rewakeDue(rewakes);
            }
        } catch (Throwable ex) {
            broken = true;
            logger.warn(
                    "The holder watcher of {} failed; waiters notice a dead holder by their periodic liveness"
                            + " checks only (every quarter of the recovery timeout) until the manager is reopened",
                    name,
                    ex);
            synchronized (lifecycle) {
                closeAll();
            }
        }
    }

    /** A watched process exited: count the death, then wake the sleepers of its locks. */
    private void exited(Watch watch, List<Rewake> rewakes) {
        synchronized (lifecycle) {
            // A watch replaced meanwhile is in the replaced queue, which closes its pidfd: closing
            // it here too could close a descriptor number that was reused in between.
            if (watches.compareAndSet(watch.token & ShmLayout.SLOT_MASK, watch, null)) {
                closePidfd(watch);
            }
        }
        session.holderDied();
        if (waker.wakeHeldBy(watch.token)) {
            rewakes.add(
                    new Rewake(watch.token, 0, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(FIRST_REWAKE_MILLIS)));
        }
    }

    private void rewakeDue(List<Rewake> rewakes) {
        long now = System.nanoTime();
        for (int i = rewakes.size() - 1; i >= 0; i--) {
            Rewake rewake = rewakes.get(i);
            if (now - rewake.dueNanos >= 0) {
                rewakes.remove(i);
                if (waker.wakeHeldBy(rewake.token) && rewake.attempt + 1 < REWAKES) {
                    long delay = TimeUnit.MILLISECONDS.toNanos((long) FIRST_REWAKE_MILLIS << (rewake.attempt + 1));
                    rewakes.add(new Rewake(rewake.token, rewake.attempt + 1, now + delay));
                }
            }
        }
    }

    /** Drops watches no waiter asked for lately: their holders are alive but nobody waits. */
    private void dropIdle() {
        long now = CoarseClock.millis();
        for (int slot = 0; slot < ShmLayout.OWNER_SLOTS; slot++) {
            Watch watch = watches.get(slot);
            if (watch != null && now - watch.usedMillis > IDLE_WATCH_MILLIS) {
                synchronized (lifecycle) {
                    if (watches.compareAndSet(slot, watch, null)) {
                        closePidfd(watch);
                    }
                }
            }
        }
    }

    /** Closes every descriptor; under {@link #lifecycle}, after which no watch is added. */
    private void closeAll() {
        closed = true;
        for (int slot = 0; slot < ShmLayout.OWNER_SLOTS; slot++) {
            Watch watch = watches.getAndSet(slot, null);
            if (watch != null) {
                closePidfd(watch);
            }
        }
        for (Watch old = replaced.poll(); old != null; old = replaced.poll()) {
            closePidfd(old);
        }
        if (eventFd >= 0) {
            NativeCalls.close(eventFd);
            eventFd = -1;
        }
    }

    private static void closePidfd(Watch watch) {
        if (watch.pidfd != BLIND) {
            NativeCalls.close(watch.pidfd);
        }
    }
}
