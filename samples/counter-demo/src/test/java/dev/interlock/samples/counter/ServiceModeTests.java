package dev.interlock.samples.counter;

import static org.assertj.core.api.Assertions.assertThat;

import dev.interlock.shm.SHMLockManager;
import dev.interlock.testing.ChildJvm;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tests for {@link CounterDemoApplication}'s service mode as the README describes it: two
 * instances started with the {@code service} profile share the counter's lock, and each one's
 * {@code /actuator/locks} and {@code /actuator/metrics/interlock.lock.wait} show it.
 *
 * @author Interlock team
 */
class ServiceModeTests {

    private static final Duration STARTUP_LIMIT = Duration.ofSeconds(90);

    /** How long the instances may take to show each other's holds and waits once both are up. */
    private static final Duration OBSERVATION_LIMIT = Duration.ofSeconds(30);

    private static final Pattern PORT = Pattern.compile("Tomcat started on port (\\d+)");

    private static final Pattern MAX_WAIT = Pattern.compile("\\{\"statistic\":\"MAX\",\"value\":([0-9.Ee-]+)}");

    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path workDir;

    private final String shmPath = "/interlock-demo-test-" + UUID.randomUUID();

    @AfterEach
    void removeSegment() {
        SHMLockManager.unlink(shmPath);
    }

    @Test
    void twoInstancesShouldShowEachOthersHoldAndTheirWaitsOnTheActuator() throws Exception {
        try (ChildJvm first = startInstance();
                ChildJvm second = startInstance()) {
            int firstPort = port(first);
            port(second);

            String heldBySecond = "\"ownerPid\":" + second.pid();
            String locks = pollUntil(firstPort, "/actuator/locks", body -> body.contains(heldBySecond));
            assertThat(locks).contains("\"name\":\"counter-demo\"");

            // The other instance holds the lock for 200 ms at a time, so some wait must be that long.
            String waits = pollUntil(firstPort, "/actuator/metrics/interlock.lock.wait", body -> maxWait(body) >= 0.05);
            assertThat(waits).contains("\"name\":\"interlock.lock.wait\"").contains("\"statistic\":\"COUNT\"");
        }
    }

    private ChildJvm startInstance() {
        return ChildJvm.start(
                CounterDemoApplication.class,
                "--spring.profiles.active=service",
                "--server.port=0",
                "--interlock.shm.path=" + shmPath,
                "--interlock.file.directory=" + workDir.resolve("locks"),
                "--demo.work-dir=" + workDir);
    }

    private static int port(ChildJvm instance) {
        String line = instance.awaitLine(PORT.asPredicate(), "the Tomcat port", STARTUP_LIMIT);
        Matcher matcher = PORT.matcher(line);
        assertThat(matcher.find()).isTrue();
        return Integer.parseInt(matcher.group(1));
    }

    /**
     * Reads {@code path} again and again until its body satisfies {@code condition}: the
     * instances change the state on their own schedule, so there is nothing to wait on but the
     * endpoint itself.
     */
    private String pollUntil(int port, String path, java.util.function.Predicate<String> condition)
            throws IOException, InterruptedException {
        long deadline = System.nanoTime() + OBSERVATION_LIMIT.toNanos();
        String body = "";
        while (System.nanoTime() < deadline) {
            HttpResponse<String> response = http.send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                            .timeout(Duration.ofSeconds(5))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode())
                    .as("GET %s: %s", path, response.body())
                    .isEqualTo(200);
            body = response.body();
            if (condition.test(body)) {
                return body;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("GET " + path + " did not show what the test waits for within "
                + OBSERVATION_LIMIT.toSeconds() + " s; last body: " + body);
    }

    private static double maxWait(String metricBody) {
        Matcher matcher = MAX_WAIT.matcher(metricBody);
        return matcher.find() ? Double.parseDouble(matcher.group(1)) : 0;
    }
}
