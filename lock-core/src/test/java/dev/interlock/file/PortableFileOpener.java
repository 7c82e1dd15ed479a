package dev.interlock.file;

import dev.interlock.Manager;
import dev.interlock.testing.ManagerOpener;
import java.nio.file.Path;

/**
 * Opens a {@link FileLockManager} in the portable mode (the JDK's file locks) over an existing
 * lock directory, for child JVMs such as {@link dev.interlock.testing.CounterWorker}.
 *
 * @author Interlock team
 */
public final class PortableFileOpener implements ManagerOpener {

    @Override
    public Manager open(String location) {
        return FileLockManager.open(
                Path.of(location), FileLockManager.Options.defaults().withPortableLocking(true));
    }
}
