package dev.interlock.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Tests for {@link PostgresServer}: which server the environment chooses. Finding the machine's
 * server or starting an embedded one is exercised by {@code PostgresSubjectTests}.
 *
 * @author Interlock team
 */
class PostgresServerTests {

    @Test
    void findWhenBothVariablesAreSetShouldPreferTheBenchmarkServer() {
        try (PostgresServer server = PostgresServer.find(Map.of(
                "INTERLOCK_BENCH_POSTGRES_URL", "jdbc:postgresql://bench/db",
                "INTERLOCK_TEST_POSTGRES_URL", "jdbc:postgresql://test/db"))) {
            assertThat(server.url()).isEqualTo("jdbc:postgresql://bench/db");
            assertThat(server.description()).isEqualTo("the server in INTERLOCK_BENCH_POSTGRES_URL");
        }
    }

    @Test
    void findWhenOnlyTheTestVariableIsSetShouldUseTheTestServer() {
        try (PostgresServer server = PostgresServer.find(Map.of(
                "INTERLOCK_BENCH_POSTGRES_URL", " ", "INTERLOCK_TEST_POSTGRES_URL", "jdbc:postgresql://test/db"))) {
            assertThat(server.url()).isEqualTo("jdbc:postgresql://test/db");
        }
    }
}
