package dev.interlock.shm;

import dev.interlock.Manager;
import dev.interlock.testing.ManagerOpener;

/**
 * Opens the 64-lock segment named by the location, for {@link dev.interlock.testing.CounterWorker}
 * children.
 *
 * @author Interlock team
 */
public final class ShmOpener implements ManagerOpener {

    /** Lock count of every segment the multi-process tests create. */
    static final int NUM_LOCKS = 64;

    @Override
    public Manager open(String location) {
        return SHMLockManager.open(location, NUM_LOCKS);
    }
}
