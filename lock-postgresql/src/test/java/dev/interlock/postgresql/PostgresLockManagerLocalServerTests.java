package dev.interlock.postgresql;

/**
 * Tests for {@link PostgresLockManager}: the contract suite on the machine's server
 * ({@code INTERLOCK_TEST_POSTGRES_URL}, else 127.0.0.1:5432, else embedded).
 *
 * @author Interlock team
 */
class PostgresLockManagerLocalServerTests extends PostgresContractTests {

    @Override
    String url() {
        return TestServers.local();
    }
}
