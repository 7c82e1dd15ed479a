package dev.interlock.spring.actuate;

import static org.assertj.core.api.Assertions.assertThat;

import dev.interlock.Locker;
import dev.interlock.Manager;
import dev.interlock.shm.SHMLockManager;
import dev.interlock.spring.WithLock;
import dev.interlock.testing.SegmentNames;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.resttestclient.TestRestTemplate;
import org.springframework.boot.resttestclient.autoconfigure.AutoConfigureTestRestTemplate;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.context.annotation.Bean;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Tests for {@link LocksEndpoint} over real HTTP on a random port, with the shared-memory backend:
 * reading locks, the refused {@code DELETE}, health and metrics. The enabled {@code DELETE} needs
 * another access level and is in {@link LocksEndpointFreeAllHttpTests}.
 *
 * @author Interlock team
 */
@EnabledOnOs(OS.LINUX)
@SpringBootTest(
        classes = LocksEndpointHttpTests.HttpTestApplication.class,
        webEnvironment = WebEnvironment.RANDOM_PORT,
        properties = {
            "management.endpoints.web.exposure.include=health,locks,metrics",
            "management.endpoint.health.show-details=always",
            "interlock.shm.num-locks=64"
        })
@AutoConfigureTestRestTemplate
class LocksEndpointHttpTests {

    private static final String SEGMENT = SegmentNames.unique("http");

    private static final ParameterizedTypeReference<Map<String, Object>> JSON = new ParameterizedTypeReference<>() {};

    @Autowired
    private TestRestTemplate rest;

    @Autowired
    private Manager manager;

    @Autowired
    private GreetingService greetings;

    @DynamicPropertySource
    static void segment(DynamicPropertyRegistry registry) {
        registry.add("interlock.shm.path", () -> SEGMENT);
    }

    @AfterAll
    static void removeSegment() {
        // The context stays cached and mapped; removing the name only stops new processes from finding it.
        SHMLockManager.unlink(SEGMENT);
    }

    @Test
    void readShouldReportCapacityAndHeldLocksWithOwner() {
        Locker locker = manager.namedLock("http-read");
        locker.lock();
        try {
            // shm draws a hold's token on its first request; locksHeld() shows it from then on.
            long token = locker.fencingToken();
            ResponseEntity<Map<String, Object>> response = rest.exchange("/actuator/locks", HttpMethod.GET, null, JSON);
            assertThat(response.getStatusCode()).isEqualTo(HttpStatus.OK);
            Map<String, Object> body = response.getBody();
            assertThat(body).containsEntry("backend", "shm").containsEntry("capacity", 64);
            assertThat((Integer) body.get("allocated") + (Integer) body.get("available"))
                    .isEqualTo(64);
            assertThat((List<?>) body.get("held"))
                    .anySatisfy(held -> assertThat(map(held))
                            .containsEntry("id", locker.id())
                            .containsEntry("name", "http-read")
                            .containsEntry("held", true)
                            .containsEntry(
                                    "ownerPid", (int) ProcessHandle.current().pid())
                            .containsEntry("fencingToken", (int) token)
                            .containsKeys("heldSince", "heldForMillis"));
            assertThat(map(body.get("names"))).containsEntry("http-read", locker.id());
        } finally {
            locker.unlock();
        }
    }

    @Test
    void readShouldListNamedLocksSortedByNameHeldOrNot() {
        Locker later = manager.namedLock("http-names-b");
        Locker earlier = manager.namedLock("http-names-a");
        Map<String, Object> names = map(rest.exchange("/actuator/locks", HttpMethod.GET, null, JSON)
                .getBody()
                .get("names"));
        assertThat(names).containsEntry("http-names-a", earlier.id()).containsEntry("http-names-b", later.id());
        assertThat(List.copyOf(names.keySet())).isSorted();
    }

    @Test
    void readOneLockShouldFindItByIdOrByNameHeldOrNot() {
        Locker locker = manager.namedLock("http-one");
        locker.lock();
        try {
            assertThat(rest.exchange("/actuator/locks/http-one", HttpMethod.GET, null, JSON)
                            .getBody())
                    .containsEntry("id", locker.id())
                    .containsEntry("held", true);
            assertThat(rest.exchange("/actuator/locks/" + locker.id(), HttpMethod.GET, null, JSON)
                            .getBody())
                    .containsEntry("name", "http-one");
        } finally {
            locker.unlock();
        }
        assertThat(rest.exchange("/actuator/locks/" + locker.id(), HttpMethod.GET, null, JSON)
                        .getBody())
                .containsEntry("held", false);
        assertThat(rest.exchange("/actuator/locks/http-one", HttpMethod.GET, null, JSON)
                        .getBody())
                .containsEntry("id", locker.id())
                .containsEntry("name", "http-one")
                .containsEntry("held", false);
        int allocated = manager.allocatedLocks();
        assertThat(rest.exchange("/actuator/locks/http-never-bound", HttpMethod.GET, null, JSON)
                        .getStatusCode())
                .isEqualTo(HttpStatus.NOT_FOUND);
        assertThat(manager.allocatedLocks())
                .as("looking a name up allocates nothing")
                .isEqualTo(allocated);
        assertThat(rest.exchange("/actuator/locks/64", HttpMethod.GET, null, JSON)
                        .getStatusCode())
                .isEqualTo(HttpStatus.NOT_FOUND);
    }

    /** The default access is read-only: DELETE is not mapped at all (405), and nothing is freed. */
    @Test
    void deleteShouldNotBeMappedUnderTheDefaultReadOnlyAccess() {
        manager.namedLock("http-kept");
        int allocated = manager.allocatedLocks();
        ResponseEntity<Map<String, Object>> response = rest.exchange("/actuator/locks", HttpMethod.DELETE, null, JSON);
        assertThat(response.getStatusCode()).isEqualTo(HttpStatus.METHOD_NOT_ALLOWED);
        assertThat(manager.allocatedLocks()).isEqualTo(allocated);
    }

    @Test
    void healthShouldBeUpWithCapacityFigures() {
        Map<String, Object> health =
                rest.exchange("/actuator/health", HttpMethod.GET, null, JSON).getBody();
        Map<String, Object> interlock = map(map(health.get("components")).get("interlock"));
        assertThat(interlock).containsEntry("status", "UP");
        assertThat(map(interlock.get("details")))
                .containsEntry("backend", "shm")
                .containsEntry("capacity", 64)
                .containsEntry("minAvailable", 1)
                .containsKeys("allocated", "available", "held");
    }

    @Test
    void metricsShouldShowGaugesAndWithLockTimers() {
        greetings.greet("metrics");
        Map<String, Object> allocated = rest.exchange(
                        "/actuator/metrics/interlock.locks.allocated", HttpMethod.GET, null, JSON)
                .getBody();
        assertThat(valueOf(allocated, "VALUE")).isEqualTo(manager.allocatedLocks());
        Map<String, Object> free = rest.exchange(
                        "/actuator/metrics/interlock.locks.free?tag=backend:shm", HttpMethod.GET, null, JSON)
                .getBody();
        assertThat(valueOf(free, "VALUE")).isEqualTo(manager.availableLocks().getAsInt());
        Map<String, Object> wait = rest.exchange(
                        "/actuator/metrics/interlock.lock.wait?tag=outcome:acquired", HttpMethod.GET, null, JSON)
                .getBody();
        assertThat(valueOf(wait, "COUNT")).isGreaterThanOrEqualTo(1);
        assertThat((List<?>) wait.get("availableTags"))
                .anySatisfy(tag -> assertThat(map(tag))
                        .containsEntry("tag", "lock")
                        .containsEntry("values", List.of("'greeting-' + #who")));
    }

    private static double valueOf(Map<String, Object> metric, String statistic) {
        return ((List<?>) metric.get("measurements"))
                .stream()
                        .map(m -> map(m))
                        .filter(m -> statistic.equals(m.get("statistic")))
                        .mapToDouble(m -> ((Number) m.get("value")).doubleValue())
                        .findFirst()
                        .orElseThrow();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object json) {
        return (Map<String, Object>) json;
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class HttpTestApplication {

        @Bean
        GreetingService greetingService() {
            return new GreetingService();
        }
    }

    static class GreetingService {

        @WithLock(name = "'greeting-' + #who")
        public String greet(String who) {
            return "hello " + who;
        }
    }
}
