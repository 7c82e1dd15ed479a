package dev.interlock.spring.actuate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

import dev.interlock.Locker;
import dev.interlock.Manager;
import dev.interlock.memory.InMemoryManager;
import dev.interlock.spring.actuate.LocksEndpoint.FreeAllLocksRefusedException;
import dev.interlock.spring.actuate.LocksEndpoint.LocksDescriptor;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;
import org.springframework.boot.actuate.endpoint.InvalidEndpointRequestException;

/**
 * Tests for {@link LocksEndpoint} without HTTP, as JMX or a direct caller sees it.
 *
 * @author Interlock team
 */
class LocksEndpointTests {

    private final Clock clock = Clock.fixed(Instant.parse("2026-11-27T08:00:00Z"), ZoneOffset.UTC);

    @Test
    void locksShouldReportCapacityAllocationAndHeldLocks() {
        try (Manager manager = InMemoryManager.create(8)) {
            Locker named = manager.namedLock("report");
            manager.allocateLock();
            named.lock();
            try {
                LocksDescriptor locks = new LocksEndpoint(manager, "memory", false, clock).locks();
                assertThat(locks.backend()).isEqualTo("memory");
                assertThat(locks.capacity()).isEqualTo(8);
                assertThat(locks.allocated()).isEqualTo(2);
                assertThat(locks.available()).isEqualTo(6);
                assertThat(locks.held()).singleElement().satisfies(lock -> {
                    assertThat(lock.id()).isEqualTo(named.id());
                    assertThat(lock.name()).isEqualTo("report");
                    assertThat(lock.ownerPid())
                            .isEqualTo(ProcessHandle.current().pid());
                    // The in-memory backend records no acquisition time.
                    assertThat(lock.heldSince()).isNull();
                    assertThat(lock.heldForMillis()).isNull();
                });
            } finally {
                named.unlock();
            }
        }
    }

    @Test
    void lockShouldAnswerNullForUnknownIdsAndNamesThatAreNotHeld() {
        try (Manager manager = InMemoryManager.create(8)) {
            LocksEndpoint endpoint = new LocksEndpoint(manager, "memory", false, clock);
            assertThat(endpoint.lock("3"))
                    .isNotNull()
                    .satisfies(lock -> assertThat(lock.held()).isFalse());
            assertThat(endpoint.lock("8")).isNull();
            assertThat(endpoint.lock("99999999999")).isNull();
            assertThat(endpoint.lock("nobody-holds-this")).isNull();
            assertThat(manager.allocatedLocks()).isZero();
        }
    }

    @Test
    void freeAllLocksWhenNotEnabledShouldBeRefusedAndFreeNothing() {
        try (Manager manager = InMemoryManager.create(8)) {
            manager.allocateLock();
            LocksEndpoint endpoint = new LocksEndpoint(manager, "memory", false, clock);
            assertThatExceptionOfType(FreeAllLocksRefusedException.class)
                    .isThrownBy(endpoint::freeAllLocks)
                    .isInstanceOf(InvalidEndpointRequestException.class)
                    .withMessageContaining("Set interlock.endpoint.free-all.enabled=true to allow it");
            assertThat(manager.allocatedLocks()).isEqualTo(1);
        }
    }

    @Test
    void freeAllLocksWhenEnabledShouldSayHowManyWereFreed() {
        try (Manager manager = InMemoryManager.create(8)) {
            manager.allocateLock();
            manager.namedLock("a");
            assertThat(new LocksEndpoint(manager, "memory", true, clock)
                            .freeAllLocks()
                            .freed())
                    .isEqualTo(2);
            assertThat(manager.allocatedLocks()).isZero();
        }
    }
}
