package dev.interlock.spring.integration;

import dev.interlock.LockHandle;
import dev.interlock.Manager;
import java.time.Duration;
import java.util.ConcurrentModificationException;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.Lock;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.springframework.integration.support.locks.LockRegistry;

/**
 * A Spring Integration {@link LockRegistry} over an Interlock {@link Manager}, so that {@code
 * LockRegistryLeaderInitiator}, aggregators and {@code executeLocked} coordinate the processes
 * that share the manager's storage, as {@code JdbcLockRegistry} coordinates the applications of
 * one database.
 *
 * <p>The lock for a key is the manager's <em>temporary name lock</em> of that key ({@link
 * Manager#lockName(String)}): it binds an ID only while it is held or awaited, so keys taken from
 * messages (one per correlation ID) never exhaust the storage, and it is the same lock as
 * {@code @WithLock(name = "'key'")} and {@code LockTemplate} take for that name. Keys are
 * strings of 1 to 255 characters.
 *
 * <p>Every {@link Lock} obtained for a key is reentrant per thread, as Spring Integration's
 * registries are: a thread that holds the key may lock it again through any {@code Lock} of this
 * registry and must unlock it as often; another thread of this process, like another process,
 * waits. Only the holding thread may unlock ({@link IllegalMonitorStateException} otherwise). The
 * registry keeps state only for held keys, so there is nothing to expire ({@code
 * ExpirableLockRegistry}) and, since a lock lives until it is released or its process dies,
 * nothing to renew ({@code RenewableLockRegistry}). {@link Lock#newCondition()} is not supported.
 *
 * <p>On a backend that can lose a lock (PostgreSQL): acquiring a key again while its hold is lost
 * ends that hold and fails ({@code tryLock} returns {@code false}, {@code lock} throws {@link
 * IllegalMonitorStateException}), so a {@code LockRegistryLeaderInitiator} revokes leadership at
 * its next heartbeat; the last {@code unlock} of a lost hold throws {@link
 * ConcurrentModificationException}, as Spring Integration's registries do for an expired lock.
 *
 * @author Interlock team
 * @since 0.2.0
 */
public final class InterlockLockRegistry implements LockRegistry<Lock> {

    private final Supplier<Manager> manager;

    /** The holds of this registry, by key; a hold is only ever touched by its owner thread. */
    private final Map<String, Hold> holds = new ConcurrentHashMap<>();

    /**
     * Creates a registry over {@code manager}.
     *
     * @param manager the manager whose temporary name locks the registry's locks are
     */
    public InterlockLockRegistry(Manager manager) {
        this(supplierOf(manager));
    }

    /**
     * Creates a registry over a manager looked up on first use, for a bean that must not create
     * the manager early.
     *
     * @param manager supplies the manager
     */
    public InterlockLockRegistry(Supplier<Manager> manager) {
        this.manager = Objects.requireNonNull(manager, "manager");
    }

    private static Supplier<Manager> supplierOf(Manager manager) {
        Objects.requireNonNull(manager, "manager");
        return () -> manager;
    }

    /**
     * Returns the lock for {@code lockKey}: while the key is held, the very instance that locked
     * it; otherwise a new instance, which is the same lock all the same (holds live in the
     * registry, not in the instance), so that keys that are no longer held leave nothing behind.
     *
     * @param lockKey the key: a {@link String} of 1 to 255 characters
     * @return the lock, reentrant per thread
     * @throws IllegalArgumentException if the key is not a string
     */
    @Override
    public Lock obtain(Object lockKey) {
        if (!(lockKey instanceof String key)) {
            throw new IllegalArgumentException("InterlockLockRegistry takes String keys, but got "
                    + (lockKey == null ? "null" : "a " + lockKey.getClass().getName() + " (" + lockKey + ")")
                    + "; pass the key as a String, for example String.valueOf(key)");
        }
        Hold hold = holds.get(key);
        return hold != null ? hold.lock : new InterlockLock(key);
    }

    @Override
    public String toString() {
        return "InterlockLockRegistry(" + holds.size() + " keys held)";
    }

    /** The hold of one key by one thread, with its reentrant count. */
    private static final class Hold {

        final Thread owner = Thread.currentThread();

        final Lock lock;

        final LockHandle handle;

        int count = 1;

        Hold(Lock lock, LockHandle handle) {
            this.lock = lock;
            this.handle = handle;
        }
    }

    /** A lock for one key; holds live in the registry, so every instance for a key is the same lock. */
    private final class InterlockLock implements Lock {

        private final String key;

        InterlockLock(String key) {
            this.key = key;
        }

        @Override
        public void lock() {
            boolean interrupted = false;
            try {
                while (true) {
                    try {
                        lockInterruptibly();
                        return;
                    } catch (InterruptedException ex) {
                        // Lock.lock() is not interruptible: wait on, and restore the flag afterwards.
                        interrupted = true;
                    }
                }
            } finally {
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
        }

        @Override
        public void lockInterruptibly() throws InterruptedException {
            if (reentered()) {
                return;
            }
            holds.put(key, new Hold(this, manager.get().lockName(key)));
        }

        @Override
        public boolean tryLock() {
            try {
                return acquire(Duration.ZERO);
            } catch (InterruptedException ex) {
                // A try without waiting does not wait, so it cannot be interrupted while waiting.
                Thread.currentThread().interrupt();
                return false;
            }
        }

        @Override
        public boolean tryLock(long time, TimeUnit unit) throws InterruptedException {
            return acquire(Duration.ofNanos(unit.toNanos(time)));
        }

        private boolean acquire(Duration timeout) throws InterruptedException {
            Hold hold = ownHold();
            if (hold != null) {
                return reenter(hold);
            }
            Optional<LockHandle> handle = manager.get().tryLockName(key, timeout);
            handle.ifPresent(acquired -> holds.put(key, new Hold(this, acquired)));
            return handle.isPresent();
        }

        /**
         * Counts one more hold if the calling thread holds the key; throws if its hold was lost.
         *
         * @return whether the calling thread held the key
         */
        private boolean reentered() {
            Hold hold = ownHold();
            if (hold == null) {
                return false;
            }
            if (!reenter(hold)) {
                throw new IllegalMonitorStateException("The lock for '" + key + "' was lost while this thread held"
                        + " it (the backend lost its session); the hold has ended: treat what it protected as"
                        + " unprotected, and lock the key afresh");
            }
            return true;
        }

        /** Returns the key's hold if the calling thread owns it, else {@code null}. */
        private @Nullable Hold ownHold() {
            Hold hold = holds.get(key);
            return hold != null && hold.owner == Thread.currentThread() ? hold : null;
        }

        /** Counts one more hold of a valid hold; ends a lost one and returns {@code false}. */
        private boolean reenter(Hold hold) {
            if (hold.handle.isValid()) {
                hold.count++;
                return true;
            }
            holds.remove(key, hold);
            hold.handle.close();
            return false;
        }

        @Override
        public void unlock() {
            Hold hold = holds.get(key);
            if (hold == null || hold.owner != Thread.currentThread()) {
                throw new IllegalMonitorStateException(
                        "Thread '" + Thread.currentThread().getName()
                                + "' does not own the lock for '" + key + "' ("
                                + (hold == null ? "no thread" : "thread '" + hold.owner.getName() + "'")
                                + " holds it); unlock a lock in the thread that locked it, once per lock call");
            }
            if (--hold.count > 0) {
                return;
            }
            // Removed before the release: the next holder puts its own hold once it acquired.
            holds.remove(key, hold);
            boolean lost = !hold.handle.isValid();
            hold.handle.close();
            if (lost) {
                throw new ConcurrentModificationException("The lock for '" + key + "' was lost before it was"
                        + " unlocked (the backend lost its session); the integrity of what it protected may have"
                        + " been compromised: check it, and use fencing tokens where it matters");
            }
        }

        @Override
        public Condition newCondition() {
            throw new UnsupportedOperationException("InterlockLockRegistry's locks have no conditions: they span"
                    + " processes; use a Condition of a local lock held inside this one");
        }

        @Override
        public String toString() {
            Hold hold = holds.get(key);
            return "InterlockLock('" + key + "', "
                    + (hold == null ? "unlocked" : "held by thread '" + hold.owner.getName() + "'") + ")";
        }
    }
}
