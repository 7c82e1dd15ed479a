package dev.interlock.file;

import dev.interlock.Manager;
import dev.interlock.testing.LockManagerContractTests;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tests for {@link FileLockManager}: the whole contract suite, with a second manager over the same
 * directory standing in for another process. Multi-process behaviour is in {@link
 * FileLockManagerProcessTests}.
 *
 * @author Interlock team
 */
class FileLockManagerTests extends LockManagerContractTests {

    @TempDir
    Path tempDir;

    @Override
    protected Manager createManager() {
        return FileLockManager.create(tempDir.resolve("locks"));
    }

    @Override
    protected Optional<Manager> openSecondManager(Manager first) {
        return Optional.of(FileLockManager.open(((FileLockManager) first).directory()));
    }
}
