package dev.interlock.shm;

import dev.interlock.Manager;
import dev.interlock.testing.FencingProcessTests;
import dev.interlock.testing.ManagerOpener;
import dev.interlock.testing.SegmentNames;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * Fencing tokens of {@link SHMLockManager} across processes.
 *
 * @author Interlock team
 */
class SHMFencingProcessTests extends FencingProcessTests {

    private final String segment = SegmentNames.unique("fencing");

    private SHMLockManager creator;

    @BeforeEach
    void createSegment() {
        creator = SHMLockManager.create(segment, ShmOpener.NUM_LOCKS);
    }

    @AfterEach
    void removeSegment() {
        creator.close();
        SHMLockManager.unlink(segment);
    }

    @Override
    protected Class<? extends ManagerOpener> openerClass() {
        return ShmOpener.class;
    }

    @Override
    protected String location() {
        return segment;
    }

    @Override
    protected Manager openHere() {
        return SHMLockManager.open(segment, ShmOpener.NUM_LOCKS);
    }
}
