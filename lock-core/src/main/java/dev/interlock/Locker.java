package dev.interlock;

import java.time.Duration;

/**
 * A numbered lock shared by every process that uses the same lock storage.
 *
 * <p>Every {@code Locker} with the same {@link #id()} obtained from managers over the same
 * storage refers to the same underlying lock, in this process and in every other one. Only one
 * holder at a time is inside the critical section.
 *
 * <p><b>Ownership.</b> A held lock belongs to the {@link Manager} instance it was acquired
 * through, not to a thread: any thread that uses that manager may {@link #unlock()} it (the
 * semantics of a binary semaphore, like Go's {@code sync.Mutex}), so virtual threads and
 * hand-offs between threads work. Two managers over the same storage, in one JVM or in two,
 * exclude each other exactly like two processes do.
 *
 * <p><b>Misuse.</b> Unlocking a lock that this manager does not hold, and {@link #lock()} by the
 * thread that already holds the lock (which would otherwise wait forever), throw {@link
 * IllegalMonitorStateException} and change nothing.
 *
 * <p><b>Freeing.</b> {@link #free()} only tells the manager that the ID may be handed out again
 * by {@link Manager#allocateLock()}. The lock stays usable afterwards: a process may still hold
 * a handle for an object that was just removed, lock it, and then discover that it is gone.
 *
 * @author Interlock team
 * @since 0.1.0
 */
public interface Locker {

    /**
     * Returns the lock's ID, which identifies it uniquely within its storage: {@link
     * Manager#retrieveLock(int)} with this ID returns another handle to the same lock.
     *
     * @return the ID, never negative
     */
    int id();

    /**
     * Acquires the lock, waiting as long as it takes. Interrupts do not end the wait; the
     * thread's interrupt status is restored once the lock is held.
     *
     * @throws IllegalMonitorStateException if the calling thread already holds this lock
     * @throws ManagerClosedException if the manager was closed
     * @throws LockStorageException if the lock storage can no longer be used
     */
    void lock();

    /**
     * Acquires the lock unless the calling thread is interrupted while waiting.
     *
     * @throws InterruptedException if interrupted before the lock was acquired; the lock is then
     *     not held
     * @throws IllegalMonitorStateException if the calling thread already holds this lock
     * @throws ManagerClosedException if the manager was closed
     */
    void lockInterruptibly() throws InterruptedException;

    /**
     * Acquires the lock only if nobody holds it at the time of the call.
     *
     * @return {@code true} if the lock is now held through this handle's manager, {@code false}
     *     if somebody else (or the calling thread itself) holds it
     * @throws ManagerClosedException if the manager was closed
     */
    boolean tryLock();

    /**
     * Acquires the lock if it becomes free within the given time.
     *
     * @param timeout how long to wait at most; zero or negative means "do not wait"
     * @return {@code true} if the lock is now held, {@code false} if the time ran out
     * @throws InterruptedException if interrupted while waiting; the lock is then not held
     * @throws ManagerClosedException if the manager was closed
     */
    boolean tryLock(Duration timeout) throws InterruptedException;

    /**
     * Releases the lock. Any thread using the manager that holds the lock may call this.
     *
     * @throws IllegalMonitorStateException if the lock is not held through this handle's manager
     *     (it is unlocked, or held by another manager or process); nothing changes then
     * @throws ManagerClosedException if the manager was closed
     */
    void unlock();

    /**
     * Returns the lock's ID to the pool so that {@link Manager#allocateLock()} may hand it out
     * again. The lock remains usable afterwards, and a holder keeps holding it.
     *
     * @throws LockNotAllocatedException if the ID is not allocated
     * @throws ManagerClosedException if the manager was closed
     */
    void free();

    /**
     * Returns the fencing token of the current hold of this lock by this handle's manager.
     *
     * <p>The guarantee: within one hold the token is stable (asking twice gives the same value),
     * and it is strictly greater than the token of every earlier hold of the same lock ID, by any
     * process or manager over the same storage, for as long as the storage exists, including holds
     * taken over from a dead holder, holds after {@link #free()} and re-allocation of the ID, and
     * holds after {@link Manager#freeAllLocks()}. A resource that remembers the highest token it
     * accepted and refuses lower ones ({@code UPDATE ... SET fence = :token WHERE fence < :token})
     * thereby refuses the late writes of a holder that lost its lock or was paused while another
     * took it.
     *
     * @return the hold's fencing token, positive
     * @throws IllegalMonitorStateException if this manager does not hold the lock
     * @throws ManagerClosedException if the manager was closed
     * @throws LockStorageException if the storage that keeps the tokens cannot be read or written
     * @since 0.2.0
     */
    long fencingToken();

    /**
     * Acquires the lock as {@link #lock()} does and returns a handle whose {@link
     * LockHandle#close()} releases it, for try-with-resources:
     *
     * <pre>{@code
     * try (LockHandle held = locker.acquire()) {
     *     // exclusive across processes
     * }
     * }</pre>
     *
     * @return the handle that releases the lock when closed
     * @throws IllegalMonitorStateException if the calling thread already holds this lock
     * @throws ManagerClosedException if the manager was closed
     */
    LockHandle acquire();
}
