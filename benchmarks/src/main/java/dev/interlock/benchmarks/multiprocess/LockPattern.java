package dev.interlock.benchmarks.multiprocess;

/**
 * Which locks the threads of a multi-process run hammer.
 *
 * @author Interlock team
 * @since 0.1.0
 */
public enum LockPattern {

    /** Every thread of every process on lock 0: the contention case. */
    ONE,

    /** Every thread on a lock of its own, consecutive IDs: scaling without contention. */
    MANY;

    /**
     * Returns the lock ID a thread hammers.
     *
     * @param globalThreadIndex the thread's index across all processes of the run, from 0
     * @return the lock ID
     */
    public int lockIdFor(int globalThreadIndex) {
        return this == ONE ? 0 : globalThreadIndex;
    }
}
