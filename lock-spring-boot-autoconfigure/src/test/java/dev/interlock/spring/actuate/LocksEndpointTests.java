package dev.interlock.spring.actuate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;

import dev.interlock.Locker;
import dev.interlock.Manager;
import dev.interlock.memory.InMemoryManager;
import dev.interlock.spring.actuate.LocksEndpoint.LockDescriptor;
import dev.interlock.spring.actuate.LocksEndpoint.LocksDescriptor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;
import org.springframework.boot.actuate.endpoint.Access;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;

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
            Locker idle = manager.namedLock("idle");
            named.lock();
            try {
                // Drawn when first asked for, as on shm: a hold that never asked shows no token.
                long token = named.fencingToken();
                LocksDescriptor locks = new LocksEndpoint(manager, "memory", clock).locks();
                assertThat(locks.backend()).isEqualTo("memory");
                assertThat(locks.capacity()).isEqualTo(8);
                assertThat(locks.allocated()).isEqualTo(3);
                assertThat(locks.available()).isEqualTo(5);
                assertThat(locks.names()).containsExactly(entry("idle", idle.id()), entry("report", named.id()));
                assertThat(locks.held()).singleElement().satisfies(lock -> {
                    assertThat(lock.id()).isEqualTo(named.id());
                    assertThat(lock.name()).isEqualTo("report");
                    assertThat(lock.ownerPid())
                            .isEqualTo(ProcessHandle.current().pid());
                    // The in-memory backend records no acquisition time.
                    assertThat(lock.heldSince()).isNull();
                    assertThat(lock.heldForMillis()).isNull();
                    assertThat(lock.fencingToken()).isEqualTo(token);
                    assertThat(lock.ownerHost())
                            .as("every holder is on this host")
                            .isNull();
                });
            } finally {
                named.unlock();
            }
        }
    }

    @Test
    void lockShouldFindANameThatIsNotHeldWithoutAllocating() {
        try (Manager manager = InMemoryManager.create(8)) {
            manager.allocateLock();
            Locker idle = manager.namedLock("idle");
            LocksEndpoint endpoint = new LocksEndpoint(manager, "memory", clock);
            LockDescriptor notHeld = new LockDescriptor(idle.id(), "idle", false, null, null, null, null, null);
            assertThat(endpoint.lock("idle")).isEqualTo(notHeld);
            assertThat(endpoint.lock(String.valueOf(idle.id()))).isEqualTo(notHeld);
            assertThat(endpoint.lock("0")).isEqualTo(new LockDescriptor(0, null, false, null, null, null, null, null));
            assertThat(manager.allocatedLocks()).isEqualTo(2);
        }
    }

    @Test
    void lockWhenManagerCannotListNamesShouldStillFindHeldNames() {
        try (Manager manager = InMemoryManager.create(8)) {
            Manager withoutNames = withoutLockNames(manager);
            Locker held = manager.namedLock("held");
            manager.namedLock("idle");
            held.lock();
            try {
                LocksEndpoint endpoint = new LocksEndpoint(withoutNames, "custom", clock);
                assertThat(endpoint.locks().names()).isNull();
                assertThat(endpoint.lock("held")).satisfies(lock -> {
                    assertThat(lock.id()).isEqualTo(held.id());
                    assertThat(lock.held()).isTrue();
                });
                assertThat(endpoint.lock("idle")).isNull();
            } finally {
                held.unlock();
            }
        }
    }

    @Test
    void lockShouldAnswerNullForUnknownIdsAndNamesThatAreNotBound() {
        try (Manager manager = InMemoryManager.create(8)) {
            LocksEndpoint endpoint = new LocksEndpoint(manager, "memory", clock);
            assertThat(endpoint.lock("3"))
                    .isNotNull()
                    .satisfies(lock -> assertThat(lock.held()).isFalse());
            assertThat(endpoint.lock("8")).isNull();
            assertThat(endpoint.lock("99999999999")).isNull();
            assertThat(endpoint.lock("nobody-bound-this")).isNull();
            assertThat(manager.allocatedLocks()).isZero();
        }
    }

    @Test
    void endpointShouldBeReadOnlyByDefaultAsBootDoesForDangerousOperations() {
        Endpoint endpoint = LocksEndpoint.class.getAnnotation(Endpoint.class);
        assertThat(endpoint.id()).isEqualTo("locks");
        assertThat(endpoint.defaultAccess()).isEqualTo(Access.READ_ONLY);
    }

    @Test
    void freeAllLocksShouldSayHowManyWereFreed() {
        try (Manager manager = InMemoryManager.create(8)) {
            manager.allocateLock();
            manager.namedLock("a");
            assertThat(new LocksEndpoint(manager, "memory", clock)
                            .freeAllLocks()
                            .freed())
                    .isEqualTo(2);
            assertThat(manager.allocatedLocks()).isZero();
        }
    }

    /** A manager that answers as one written before {@link Manager#lockNames()} existed. */
    private static Manager withoutLockNames(Manager delegate) {
        return (Manager) Proxy.newProxyInstance(
                Manager.class.getClassLoader(), new Class<?>[] {Manager.class}, (proxy, method, args) -> {
                    if (method.getName().equals("lockNames")) {
                        throw new UnsupportedOperationException("lockNames() is not implemented");
                    }
                    try {
                        return method.invoke(delegate, args);
                    } catch (InvocationTargetException ex) {
                        throw ex.getCause();
                    }
                });
    }
}
