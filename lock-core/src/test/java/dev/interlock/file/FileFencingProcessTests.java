package dev.interlock.file;

import dev.interlock.Manager;
import dev.interlock.testing.FencingProcessTests;
import dev.interlock.testing.ManagerOpener;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;

/**
 * Fencing tokens of {@link FileLockManager} across processes; the tokens live in the lock files.
 *
 * @author Interlock team
 */
class FileFencingProcessTests extends FencingProcessTests {

    private Path lockDir;

    @BeforeEach
    void createLockDirectory() {
        lockDir = work.resolve("locks");
        FileLockManager.create(lockDir).close();
    }

    @Override
    protected Class<? extends ManagerOpener> openerClass() {
        return FileOpener.class;
    }

    @Override
    protected String location() {
        return lockDir.toString();
    }

    @Override
    protected Manager openHere() {
        return FileLockManager.open(lockDir);
    }
}
