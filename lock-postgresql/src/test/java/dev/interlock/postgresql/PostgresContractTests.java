package dev.interlock.postgresql;

import dev.interlock.Manager;
import dev.interlock.testing.LockManagerContractTests;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;

/**
 * The contract suite on the PostgreSQL backend, with a second manager over the same lock space
 * standing in for another host. Subclasses pick the server.
 *
 * <p>What this cannot show: exclusion across processes and hosts; {@link
 * PostgresLockManagerProcessTests} runs child JVMs.
 *
 * @author Interlock team
 */
abstract class PostgresContractTests extends LockManagerContractTests {

    private final List<String> spaces = new ArrayList<>();

    private String lockSpace;

    /** The JDBC URL of the server under test. */
    abstract String url();

    @Override
    protected Manager createManager() {
        lockSpace = TestServers.uniqueSpace("contract");
        spaces.add(lockSpace);
        return PostgresLockManager.create(url(), lockSpace, 64, TestServers.options());
    }

    @Override
    protected Optional<Manager> openSecondManager(Manager first) {
        return Optional.of(
                PostgresLockManager.open(url(), ((PostgresLockManager) first).lockSpace(), 64, TestServers.options()));
    }

    @AfterEach
    void dropLockSpaces() {
        for (String space : spaces) {
            PostgresLockManager.drop(url(), space, TestServers.options());
        }
    }
}
