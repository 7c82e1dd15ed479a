package dev.interlock.spring.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatException;

import dev.interlock.postgresql.PostgresLockManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.annotation.Configuration;

/**
 * Tests that Interlock's failure analyzers are registered in {@code META-INF/spring.factories}
 * and win over Spring Boot's generic bind failure analysis: a real application fails to start and
 * prints the report.
 *
 * @author Interlock team
 */
@ExtendWith(OutputCaptureExtension.class)
class InterlockFailureAnalysisTests {

    @Test
    void unknownBackendShouldPrintInterlocksReport(CapturedOutput output) {
        startWith("--interlock.backend=redis");
        assertThat(output)
                .contains("Invalid value 'redis' for property 'interlock.backend'")
                .contains("Set interlock.backend to shm (a shared-memory segment, Linux)")
                .doesNotContain("Update your application's configuration");
    }

    @Test
    void zeroLockCountShouldPrintInterlocksReport(CapturedOutput output) {
        startWith("--interlock.backend=memory", "--interlock.memory.num-locks=0");
        assertThat(output)
                .contains("Invalid value '0' for property 'interlock.memory.num-locks'")
                .contains("a lock manager needs at least 1 lock.")
                .contains("Set interlock.memory.num-locks to a positive lock count");
    }

    @Test
    void postgresqlLockSpaceWithAnotherCountShouldPrintThePostgresqlReportNotTheSharedMemoryOne(CapturedOutput output) {
        String url = PostgresTestServer.url();
        String space = PostgresTestServer.uniqueSpace("analysis");
        PostgresLockManager.create(url, space, 100).close();
        try {
            startWith(
                    "--interlock.backend=postgresql",
                    "--interlock.postgresql.url=" + url,
                    "--interlock.postgresql.lock-space=" + space,
                    "--interlock.postgresql.connect-timeout=60s");
            assertThat(output)
                    .contains("exists with 100 locks, but interlock.postgresql.num-locks asks for 2048.")
                    .contains("Either set interlock.postgresql.num-locks to 100 to use the existing lock space")
                    .doesNotContain("interlock.shm.num-locks");
        } finally {
            PostgresLockManager.drop(url, space);
        }
    }

    private static void startWith(String... args) {
        SpringApplication application = new SpringApplication(InterlockOnlyApplication.class);
        application.setWebApplicationType(WebApplicationType.NONE);
        assertThatException().isThrownBy(() -> application.run(args));
    }

    @Configuration(proxyBeanMethods = false)
    @ImportAutoConfiguration(InterlockAutoConfiguration.class)
    static class InterlockOnlyApplication {}
}
