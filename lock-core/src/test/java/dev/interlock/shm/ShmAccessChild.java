package dev.interlock.shm;

import dev.interlock.Locker;

/**
 * Child-JVM main for {@link ShmSegmentAccessTests}: opens segment {@code args[0]}, locks and
 * unlocks lock 0 once through the uncontended path, then prints {@code THROUGH_UNSAFE <boolean>}.
 *
 * @author Interlock team
 */
public final class ShmAccessChild {

    private ShmAccessChild() {}

    /**
     * Runs the child.
     *
     * @param args the segment's name
     */
    public static void main(String[] args) {
        try (SHMLockManager manager = SHMLockManager.open(args[0], ShmOpener.NUM_LOCKS)) {
            Locker locker = manager.retrieveLock(0);
            locker.lock();
            locker.unlock();
            System.out.println("THROUGH_UNSAFE " + ShmSegment.uncontendedThroughUnsafe());
        }
    }
}
