package dev.interlock.file;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.extension.AnnotatedElementContext;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.io.TempDirFactory;

/**
 * Temporary directories on tmpfs ({@code /dev/shm}) for tests that make thousands of allocation
 * changes: each is flushed to disk before it returns ({@code fdatasync}), which costs milliseconds
 * on a disk and nothing on tmpfs. {@link DurabilityTests} checks the flushes themselves. Falls
 * back to the default temporary directory where {@code /dev/shm} is missing.
 *
 * @author Interlock team
 */
public final class TmpfsTempDir implements TempDirFactory {

    @Override
    public Path createTempDirectory(AnnotatedElementContext elementContext, ExtensionContext extensionContext)
            throws IOException {
        Path shm = Path.of("/dev/shm");
        return Files.isDirectory(shm) && Files.isWritable(shm)
                ? Files.createTempDirectory(shm, "interlock-test-")
                : Files.createTempDirectory("interlock-test-");
    }
}
