package dev.interlock.postgresql;

/**
 * Tests for {@link PostgresLockManager}: the contract suite on an embedded PostgreSQL 17 started
 * from Maven Central artifacts.
 *
 * @author Interlock team
 */
class PostgresLockManagerEmbeddedServerTests extends PostgresContractTests {

    @Override
    String url() {
        return TestServers.embedded();
    }
}
