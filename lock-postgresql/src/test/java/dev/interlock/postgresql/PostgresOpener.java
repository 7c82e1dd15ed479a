package dev.interlock.postgresql;

import dev.interlock.Manager;
import dev.interlock.testing.ManagerOpener;

/**
 * Opens a {@link PostgresLockManager} in a child JVM from a location {@code <jdbc url>|<lock
 * space>|<num locks>}.
 *
 * @author Interlock team
 */
public final class PostgresOpener implements ManagerOpener {

    /** Creates the opener; child JVMs instantiate it by name. */
    public PostgresOpener() {}

    static String location(String url, String space, int numLocks) {
        return url + "|" + space + "|" + numLocks;
    }

    @Override
    public Manager open(String location) {
        String[] parts = location.split("\\|");
        return PostgresLockManager.open(parts[0], parts[1], Integer.parseInt(parts[2]), TestServers.options());
    }
}
