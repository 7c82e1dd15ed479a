package dev.interlock.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

import dev.interlock.LockLostException;
import dev.interlock.LostLock;
import dev.interlock.memory.InMemoryManager;
import dev.interlock.spring.aop.WithLockListener;
import io.micrometer.observation.ObservationRegistry;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * Tests for {@link LockTemplate}'s handling of a hold that is no longer valid when the protected
 * code returns, on a backend that never reports lost holds itself: the in-memory manager, closed
 * under the code.
 *
 * @author Interlock team
 */
class LockTemplateLostHoldTests {

    @Test
    void holdInvalidWhenTheCodeReturnsShouldBeReportedPublishedAndThrown() {
        InMemoryManager manager = InMemoryManager.create(4);
        RecordingListener listener = new RecordingListener();
        List<Object> events = new CopyOnWriteArrayList<>();
        LostLockTracker tracker = new LostLockTracker(events::add);
        LockTemplate template =
                new LockTemplate(() -> manager, () -> List.of(listener), () -> tracker, () -> ObservationRegistry.NOOP);

        assertThatExceptionOfType(LockLostException.class)
                .isThrownBy(() -> template.name("report").tag("report").call(() -> {
                    manager.close();
                    return "written";
                }))
                .withMessageStartingWith("The hold of lock 'report' was lost while the protected code ran (lock ID 0,"
                        + " fencing token 1): the hold was no longer valid when the protected code returned. The"
                        + " code ran to its end, but the critical section was not exclusive");
        assertThat(listener.lost).singleElement().satisfies(lost -> {
            assertThat(lost.id()).isZero();
            assertThat(lost.name()).hasValue("report");
        });
        assertThat(events)
                .singleElement()
                .isInstanceOfSatisfying(
                        LockLostEvent.class,
                        event -> assertThat(event.getLockName()).hasValue("report"));
    }

    @Test
    void codeThatThrowsShouldKeepItsExceptionWithTheLossSuppressed() {
        InMemoryManager manager = InMemoryManager.create(4);
        LockTemplate template = new LockTemplate(manager);

        assertThatExceptionOfType(IllegalStateException.class)
                .isThrownBy(() -> template.name("report").call(() -> {
                    manager.close();
                    throw new IllegalStateException("failed");
                }))
                .withMessage("failed")
                .satisfies(ex -> assertThat(ex.getSuppressed()).singleElement().isInstanceOf(LockLostException.class));
    }

    @Test
    void holdValidWhenTheCodeReturnsShouldReturnTheResult() {
        try (InMemoryManager manager = InMemoryManager.create(4)) {
            RecordingListener listener = new RecordingListener();
            LockTemplate template = new LockTemplate(
                    () -> manager, () -> List.of(listener), () -> null, () -> ObservationRegistry.NOOP);

            assertThat(template.name("report").call(() -> "written")).isEqualTo("written");
            assertThat(listener.lost).isEmpty();
        }
    }

    private static final class RecordingListener implements WithLockListener {

        final List<LostLock> lost = new CopyOnWriteArrayList<>();

        @Override
        public void acquisitionEnded(String lock, AcquisitionOutcome outcome, long waitNanos) {}

        @Override
        public void released(String lock, boolean methodFailed, long heldNanos) {}

        @Override
        public void lockLost(String lock, LostLock lost) {
            this.lost.add(lost);
        }
    }
}
