package dev.interlock.benchmarks;

import dev.interlock.Manager;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * Lock storage made for one benchmark: a manager over it, where it lives, and how to remove it.
 * Closing closes the manager and then removes the storage (unlinks the segment, deletes the
 * directory), so a benchmark leaves nothing behind.
 *
 * @author Interlock team
 * @since 0.1.0
 */
public final class BenchmarkStorage implements AutoCloseable {

    /** Removes the storage once its manager is closed. */
    @FunctionalInterface
    interface Removal {
        void remove() throws IOException;
    }

    private final Manager manager;

    private final String location;

    private final Removal removal;

    BenchmarkStorage(Manager manager, String location, Removal removal) {
        this.manager = manager;
        this.location = location;
        this.removal = removal;
    }

    /**
     * Returns the manager that created the storage.
     *
     * @return the manager
     */
    public Manager manager() {
        return manager;
    }

    /**
     * Returns where the storage lives, as {@link Backend#open(String, int)} expects it: a
     * shm name or a directory path.
     *
     * @return the location
     */
    public String location() {
        return location;
    }

    /**
     * Closes the manager and removes the storage.
     *
     * @throws UncheckedIOException if the storage cannot be removed
     */
    @Override
    public void close() {
        try {
            manager.close();
        } finally {
            try {
                removal.remove();
            } catch (IOException ex) {
                throw new UncheckedIOException(
                        "Could not remove benchmark lock storage " + location
                                + "; remove it by hand (rm -r, or rm /dev/shm/<name>)",
                        ex);
            }
        }
    }
}
