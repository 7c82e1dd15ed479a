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
 * Tests for {@link LocksEndpoint}'s {@code DELETE} over real HTTP when {@code
 * management.endpoint.locks.access=unrestricted}, as for Boot's {@code shutdown} endpoint.
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
            "management.endpoint.locks.access=unrestricted"
        })
@AutoConfigureTestRestTemplate
class LocksEndpointFreeAllHttpTests {

    private static final String SEGMENT = SegmentNames.unique("free-all");

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
    void deleteShouldFreeEveryLockAndSayHowMany() {
        manager.allocateLock();
        manager.allocateLock();
        manager.namedLock("free-all");
        ResponseEntity<Map<String, Object>> response = rest.exchange("/actuator/locks", HttpMethod.DELETE, null, JSON);
        assertThat(response.getStatusCode()).isEqualTo(HttpStatus.OK);
        assertThat(response.getBody()).containsEntry("freed", 3);
        assertThat(manager.allocatedLocks()).isZero();
        assertThat(manager.availableLocks()).hasValue(64);
    }
}
