package dev.interlock.shm;

import dev.interlock.Manager;
import dev.interlock.testing.LockManagerContractTests;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;

/**
 * Tests for {@link SHMLockManager}: the whole contract suite, with a second manager over the same
 * segment standing in for another process.
 *
 * @author Interlock team
 */
class SHMLockManagerTests extends LockManagerContractTests {

    private final String segment = TestSegments.uniqueName("contract");

    @Override
    protected Manager createManager() {
        return SHMLockManager.create(segment, 64);
    }

    @Override
    protected Optional<Manager> openSecondManager(Manager first) {
        return Optional.of(SHMLockManager.open(segment, 64));
    }

    @AfterEach
    void unlinkSegment() {
        SHMLockManager.unlink(segment);
    }
}
