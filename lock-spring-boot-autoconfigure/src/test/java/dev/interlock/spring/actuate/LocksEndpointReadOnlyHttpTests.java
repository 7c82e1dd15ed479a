package dev.interlock.spring.actuate;

import static org.assertj.core.api.Assertions.assertThat;

import dev.interlock.Manager;
import dev.interlock.shm.SHMLockManager;
import dev.interlock.testing.SegmentNames;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.resttestclient.TestRestTemplate;
import org.springframework.boot.resttestclient.autoconfigure.AutoConfigureTestRestTemplate;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Tests for {@link LocksEndpoint} over real HTTP with {@code management.endpoint.locks.access=none}:
 * neither reads nor the delete operation are reachable, even though the endpoint is exposed. The
 * default (read-only) is in {@link LocksEndpointHttpTests}, unrestricted in {@link
 * LocksEndpointFreeAllHttpTests}.
 *
 * @author Interlock team
 */
@EnabledOnOs(OS.LINUX)
@SpringBootTest(
        classes = LocksEndpointHttpTests.HttpTestApplication.class,
        webEnvironment = WebEnvironment.RANDOM_PORT,
        properties = {
            "management.endpoints.web.exposure.include=locks",
            "interlock.shm.num-locks=64",
            "management.endpoint.locks.access=none"
        })
@AutoConfigureTestRestTemplate
class LocksEndpointReadOnlyHttpTests {

    private static final String SEGMENT = SegmentNames.unique("no-access");

    private static final ParameterizedTypeReference<Map<String, Object>> JSON = new ParameterizedTypeReference<>() {};

    @Autowired
    private TestRestTemplate rest;

    @Autowired
    private Manager manager;

    @DynamicPropertySource
    static void segment(DynamicPropertyRegistry registry) {
        registry.add("interlock.shm.path", () -> SEGMENT);
    }

    @AfterAll
    static void removeSegment() {
        SHMLockManager.unlink(SEGMENT);
    }

    @Test
    void noAccessShouldRemoveReadsAndTheDeleteOperation() {
        manager.allocateLock();
        ResponseEntity<Map<String, Object>> delete = rest.exchange("/actuator/locks", HttpMethod.DELETE, null, JSON);
        assertThat(delete.getStatusCode()).isEqualTo(HttpStatus.NOT_FOUND);
        assertThat(manager.allocatedLocks()).isEqualTo(1);
        ResponseEntity<Map<String, Object>> read = rest.exchange("/actuator/locks", HttpMethod.GET, null, JSON);
        assertThat(read.getStatusCode()).isEqualTo(HttpStatus.NOT_FOUND);
    }
}
