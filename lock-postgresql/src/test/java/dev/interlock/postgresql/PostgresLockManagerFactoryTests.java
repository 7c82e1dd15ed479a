package dev.interlock.postgresql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import dev.interlock.HeldLock;
import dev.interlock.LockCountMismatchException;
import dev.interlock.LockHandle;
import dev.interlock.LockStorageAccessException;
import dev.interlock.LockStorageException;
import dev.interlock.Locker;
import dev.interlock.postgresql.PostgresConnectionException.Reason;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Tests for {@link PostgresLockManager}'s factories and bad input: each failure is a clear
 * exception with the values and the remedy, and nothing is left half-created.
 *
 * @author Interlock team
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PostgresLockManagerFactoryTests {

    private final List<String> spaces = new ArrayList<>();

    private final List<String> schemas = new ArrayList<>();

    private final List<String> roles = new ArrayList<>();

    private final String url = TestServers.local();

    @AfterEach
    void cleanUp() {
        for (String space : spaces) {
            PostgresLockManager.drop(url, space, TestServers.options());
        }
        for (String schema : schemas) {
            TestServers.execute(url, "DROP SCHEMA IF EXISTS " + schema + " CASCADE");
        }
        for (String role : roles) {
            TestServers.execute(url, "DROP ROLE IF EXISTS " + role);
        }
    }

    private String space() {
        String space = TestServers.uniqueSpace("factory");
        spaces.add(space);
        return space;
    }

    private String schema() {
        String schema = TestServers.uniqueSchema("it");
        schemas.add(schema);
        return schema;
    }

    private static boolean schemaExists(String url, String schema) throws SQLException {
        try (Connection connection = DriverManager.getConnection(url);
                Statement st = connection.createStatement();
                ResultSet rs = st.executeQuery("SELECT count(*) FROM pg_namespace WHERE nspname = '" + schema + "'")) {
            rs.next();
            return rs.getInt(1) == 1;
        }
    }

    @Test
    void unreachableServerShouldSayWhereAndWhatToCheck() {
        assertThatExceptionOfType(PostgresConnectionException.class)
                .isThrownBy(() -> PostgresLockManager.openOrCreate(
                        "jdbc:postgresql://127.0.0.1:1/test?user=postgres&password=secret",
                        space(),
                        8,
                        TestServers.options()))
                .satisfies(ex -> assertThat(ex.reason()).isEqualTo(Reason.UNREACHABLE))
                .withMessageContaining("Cannot open a PostgreSQL session at jdbc:postgresql://127.0.0.1:1/test")
                .withMessageContaining("password=***")
                .withMessageNotContaining("secret")
                .withMessageContaining("check that PostgreSQL runs at that host and port");
    }

    @Test
    void wrongPasswordShouldBeReportedAsAuthenticationFailure() throws Exception {
        // The machine's server trusts every local login, so this runs on the embedded server,
        // where the test requires a password for one role of its own.
        String embedded = TestServers.embedded();
        String role = "interlock_pw_" + UUID.randomUUID().toString().substring(0, 8);
        TestServers.execute(embedded, "CREATE ROLE " + role + " LOGIN PASSWORD 'right-password'");
        Path hba = TestServers.embeddedDataDirectory().resolve("pg_hba.conf");
        String original = Files.readString(hba, StandardCharsets.UTF_8);
        try {
            Files.writeString(
                    hba,
                    "host all " + role + " 127.0.0.1/32 scram-sha-256\nhost all " + role + " ::1/128 scram-sha-256\n"
                            + original,
                    StandardCharsets.UTF_8,
                    StandardOpenOption.TRUNCATE_EXISTING);
            TestServers.execute(embedded, "SELECT pg_reload_conf()");
            PostgresLockManager.Options wrong = TestServers.options().withCredentials(role, "wrong-password");
            assertThatExceptionOfType(PostgresConnectionException.class)
                    .isThrownBy(() -> PostgresLockManager.openOrCreate(
                            embedded.replace("user=postgres", "user=" + role), "auth", 8, wrong))
                    .satisfies(ex -> assertThat(ex.reason()).isEqualTo(Reason.AUTHENTICATION_FAILED))
                    .satisfies(ex -> assertThat(ex.sqlState()).isEqualTo("28P01"))
                    .withMessageContaining("password authentication failed for user \"" + role + "\"")
                    .withMessageContaining("check the user name and password");
        } finally {
            Files.writeString(hba, original, StandardCharsets.UTF_8, StandardOpenOption.TRUNCATE_EXISTING);
            TestServers.execute(embedded, "SELECT pg_reload_conf()", "DROP ROLE " + role);
        }
    }

    @Test
    void userWithoutCreatePrivilegeShouldGetAnAccessExceptionAndNothingCreated() throws Exception {
        String role = "interlock_noc_" + UUID.randomUUID().toString().substring(0, 8);
        roles.add(role);
        TestServers.execute(url, "CREATE ROLE " + role + " LOGIN");
        String schema = schema();
        PostgresLockManager.Options options =
                TestServers.options().withCredentials(role, null).withSchema(schema);
        assertThatExceptionOfType(LockStorageAccessException.class)
                .isThrownBy(() -> PostgresLockManager.openOrCreate(url, space(), 8, options))
                .withMessageContaining("SQLSTATE 42501")
                .withMessageContaining("grant the user CREATE on the database")
                .withMessageContaining(Sql.SCHEMA_RESOURCE);
        assertThat(schemaExists(url, schema)).as("nothing half-created").isFalse();
    }

    @Test
    void schemaOfAnotherVersionShouldBeRefusedWithBothVersions() throws Exception {
        String schema = schema();
        TestServers.execute(
                url,
                "CREATE SCHEMA " + schema,
                "CREATE TABLE " + schema + ".schema_version (version int NOT NULL)",
                "INSERT INTO " + schema + ".schema_version VALUES (99)");
        assertThatExceptionOfType(LockStorageException.class)
                .isThrownBy(() -> PostgresLockManager.openOrCreate(
                        url, space(), 8, TestServers.options().withSchema(schema)))
                .withMessageContaining("has version 99, but this Interlock reads and writes version 2")
                .withMessageContaining("withSchema");
    }

    /** Creates {@code schema} as the first release did, from its script (kept as a test resource). */
    private void createVersion1Schema(String schema) throws SQLException {
        runScript(Sql.script("dev/interlock/postgresql/schema-postgresql-v1.sql", schema));
    }

    /** Runs a script in one transaction, as a DBA does with psql --single-transaction. */
    private void runScript(String script) throws SQLException {
        try (Connection connection = DriverManager.getConnection(url);
                Statement st = connection.createStatement()) {
            connection.setAutoCommit(false);
            st.execute(script);
            connection.commit();
        }
    }

    private int schemaVersion(String schema) throws SQLException {
        try (Connection connection = DriverManager.getConnection(url);
                Statement st = connection.createStatement();
                ResultSet rs = st.executeQuery(Sql.forSchema(Sql.READ_SCHEMA_VERSION, schema))) {
            rs.next();
            return rs.getInt(1);
        }
    }

    @Test
    void schemaOfVersion1ShouldBeUpgradedInPlaceKeepingItsLockSpaces() throws Exception {
        String schema = schema();
        createVersion1Schema(schema);
        String q = Sql.quoteIdentifier(schema);
        TestServers.execute(
                url,
                "INSERT INTO " + q + ".lock_space (name, num_locks, layout_version) VALUES ('old', 8, 1)",
                "SELECT " + q + ".allocate(space_key, 8, NULL, 'kept') FROM " + q + ".lock_space WHERE name = 'old'");
        PostgresLockManager.Options options = TestServers.options().withSchema(schema);
        try (PostgresLockManager manager = PostgresLockManager.open(url, "old", 8, options)) {
            assertThat(schemaVersion(schema)).isEqualTo(2);
            assertThat(manager.lockNames()).isEqualTo(Map.of("kept", 0));
            assertThat(manager.allocateLock().id()).isEqualTo(1);
            try (LockHandle held = manager.namedLock("new").acquire()) {
                assertThat(held.locker().id()).isEqualTo(2);
                assertThat(held.fencingToken()).isPositive();
            }
        }
        try (Connection connection = DriverManager.getConnection(url);
                Statement st = connection.createStatement();
                ResultSet rs =
                        st.executeQuery("SELECT prosrc FROM pg_proc WHERE oid = '" + q + ".allocate'::regproc")) {
            rs.next();
            assertThat(rs.getString(1)).as("the version 2 function").contains("One snapshot");
        }
        try (PostgresLockManager again = PostgresLockManager.open(url, "old", 8, options)) {
            assertThat(again.allocatedLocks())
                    .as("opened without another upgrade")
                    .isEqualTo(3);
        }
    }

    @Test
    void schemaOfVersion1WithCreationSwitchedOffShouldNameBothVersionsAndTheUpgradeScript() throws Exception {
        String schema = schema();
        createVersion1Schema(schema);
        PostgresLockManager.Options never =
                TestServers.options().withSchema(schema).withSchemaCreation(false);
        assertThatExceptionOfType(LockStorageException.class)
                .isThrownBy(() -> PostgresLockManager.openOrCreate(url, space(), 8, never))
                .withMessageContaining("has version 1, but this Interlock needs version 2")
                .withMessageContaining("schema creation is switched off")
                .withMessageContaining(Sql.UPGRADE_RESOURCE);
        assertThat(schemaVersion(schema)).as("left alone").isEqualTo(1);

        // What a DBA does: run the shipped upgrade script (renamed for this schema) in one transaction.
        runScript(Sql.script(Sql.UPGRADE_RESOURCE, schema));
        assertThat(schemaVersion(schema)).isEqualTo(2);
        String space = space();
        try (PostgresLockManager manager = PostgresLockManager.openOrCreate(url, space, 8, never)) {
            assertThat(manager.allocateLock().id()).isZero();
        }
        PostgresLockManager.drop(url, space, never);
    }

    @Test
    void schemaOfVersion1OwnedByAnotherRoleShouldBeLeftAloneNamingTheUpgradeScript() throws Exception {
        String role = "interlock_nup_" + UUID.randomUUID().toString().substring(0, 8);
        roles.add(role);
        String schema = schema();
        createVersion1Schema(schema);
        String q = Sql.quoteIdentifier(schema);
        TestServers.execute(
                url,
                "CREATE ROLE " + role + " LOGIN",
                "GRANT USAGE ON SCHEMA " + q + " TO " + role,
                "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA " + q + " TO " + role,
                "GRANT USAGE, UPDATE ON ALL SEQUENCES IN SCHEMA " + q + " TO " + role);
        PostgresLockManager.Options options =
                TestServers.options().withCredentials(role, null).withSchema(schema);
        assertThatExceptionOfType(LockStorageAccessException.class)
                .isThrownBy(() -> PostgresLockManager.openOrCreate(url, space(), 8, options))
                .withMessageContaining("from version 1 to 2")
                .withMessageContaining("SQLSTATE 42501")
                .withMessageContaining(Sql.UPGRADE_RESOURCE);
        assertThat(schemaVersion(schema)).as("nothing half-upgraded").isEqualTo(1);
    }

    @Test
    void upgradeScriptShouldInstallTheFunctionOfTheSchemaScript() {
        String marker = "CREATE OR REPLACE FUNCTION";
        String created = Sql.script(Sql.SCHEMA_RESOURCE, "interlock");
        String upgraded = Sql.script(Sql.UPGRADE_RESOURCE, "interlock");
        assertThat(upgraded.substring(upgraded.indexOf(marker)))
                .as("the function, kept in both scripts so that each runs alone in psql")
                .isEqualTo(created.substring(created.indexOf(marker)));
    }

    @Test
    void foreignSchemaWithoutInterlockTablesShouldBeRefusedAndLeftAlone() throws Exception {
        String schema = schema();
        TestServers.execute(url, "CREATE SCHEMA " + schema, "CREATE TABLE " + schema + ".theirs (x int)");
        assertThatExceptionOfType(LockStorageException.class)
                .isThrownBy(() -> PostgresLockManager.openOrCreate(
                        url, space(), 8, TestServers.options().withSchema(schema)))
                .withMessageContaining("exists at")
                .withMessageContaining("holds no Interlock tables");
        try (Connection connection = DriverManager.getConnection(url);
                Statement st = connection.createStatement();
                ResultSet rs = st.executeQuery("SELECT count(*) FROM pg_class c JOIN pg_namespace n"
                        + " ON n.oid = c.relnamespace WHERE n.nspname = '" + schema + "'")) {
            rs.next();
            assertThat(rs.getInt(1))
                    .as("only the foreign table, nothing half-created")
                    .isEqualTo(1);
        }
    }

    @Test
    void lockSpaceOfAnotherCountShouldBeRefusedWithBothCountsAndTheRemedy() {
        String space = space();
        PostgresLockManager.create(url, space, 8, TestServers.options()).close();
        assertThatExceptionOfType(LockCountMismatchException.class)
                .isThrownBy(() -> PostgresLockManager.open(url, space, 16, TestServers.options()))
                .satisfies(ex -> {
                    assertThat(ex.requested()).isEqualTo(16);
                    assertThat(ex.actual()).isEqualTo(8);
                })
                .withMessageContaining("was created with 8 locks, but 16 were requested")
                .withMessageContaining("open it with numLocks=8")
                .withMessageContaining("PostgresLockManager.drop");
        assertThatExceptionOfType(LockCountMismatchException.class)
                .isThrownBy(() -> PostgresLockManager.openOrCreate(url, space, 4, TestServers.options()));
    }

    @Test
    void createOpenAndDropShouldReportExistence() {
        String space = space();
        assertThatExceptionOfType(LockStorageException.class)
                .isThrownBy(() -> PostgresLockManager.open(url, space, 8, TestServers.options()))
                .withMessageContaining("Lock space '" + space + "' does not exist")
                .withMessageContaining("openOrCreate");
        PostgresLockManager.create(url, space, 8, TestServers.options()).close();
        assertThatExceptionOfType(LockStorageException.class)
                .isThrownBy(() -> PostgresLockManager.create(url, space, 8, TestServers.options()))
                .withMessageContaining("exists already");
        assertThat(PostgresLockManager.drop(url, space, TestServers.options())).isTrue();
        assertThat(PostgresLockManager.drop(url, space, TestServers.options())).isFalse();
        assertThatIllegalArgumentException()
                .isThrownBy(() -> PostgresLockManager.create(url, space, 0, TestServers.options()))
                .withMessageContaining("numLocks was 0");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> PostgresLockManager.create("jdbc:mysql://x/y", space, 8, TestServers.options()))
                .withMessageContaining("jdbc:postgresql:");
    }

    @Test
    void schemaCreationSwitchedOffShouldNeverTouchTheSchemaButUseOneADbaCreated() throws Exception {
        String schema = schema();
        PostgresLockManager.Options never =
                TestServers.options().withSchema(schema).withSchemaCreation(false);
        assertThatExceptionOfType(LockStorageException.class)
                .isThrownBy(() -> PostgresLockManager.openOrCreate(url, space(), 8, never))
                .withMessageContaining("does not exist")
                .withMessageContaining("schema creation is switched off")
                .withMessageContaining(Sql.SCHEMA_RESOURCE);
        assertThat(schemaExists(url, schema)).isFalse();

        // What a DBA does: run the shipped script (for another schema name, renamed) in one transaction.
        try (Connection connection = DriverManager.getConnection(url);
                Statement st = connection.createStatement()) {
            connection.setAutoCommit(false);
            st.execute(Sql.script(Sql.SCHEMA_RESOURCE, schema));
            connection.commit();
        }
        String space = space();
        try (PostgresLockManager manager = PostgresLockManager.openOrCreate(url, space, 8, never)) {
            Locker locker = manager.namedLock("dba");
            try (LockHandle held = locker.acquire()) {
                assertThat(held.fencingToken()).isPositive();
            }
        }
        PostgresLockManager.drop(url, space, never);
    }

    @Test
    void droppedLockSpaceShouldMakeAttachedManagersFailClearly() {
        String space = space();
        try (PostgresLockManager manager = PostgresLockManager.create(url, space, 8, TestServers.options())) {
            Locker locker = manager.allocateLock();
            locker.lock();
            assertThat(PostgresLockManager.drop(url, space, TestServers.options()))
                    .isTrue();
            locker.unlock();
            assertThatExceptionOfType(LockStorageException.class)
                    .isThrownBy(manager::allocateLock)
                    .withMessageContaining("was dropped while")
                    .withMessageContaining("open the lock space again");
        }
    }

    @Test
    void locksHeldShouldShowHostPidSinceAndTokenOfOwnHoldsAndHostPidOfOthers() {
        String space = space();
        try (PostgresLockManager mine = PostgresLockManager.create(url, space, 8, TestServers.options());
                PostgresLockManager theirs = PostgresLockManager.open(url, space, 8, TestServers.options())) {
            LockHandle own = mine.namedLock("own").acquire();
            theirs.retrieveLock(6).lock();
            long theirToken = theirs.retrieveLock(6).fencingToken();
            assertThat(mine.locksHeld().get(0).fencingToken())
                    .as("not drawn yet")
                    .isEmpty();
            long ownToken = own.fencingToken();
            List<HeldLock> held = mine.locksHeld();
            assertThat(held)
                    .extracting(HeldLock::id)
                    .containsExactly(own.locker().id(), 6);
            HeldLock first = held.get(0);
            assertThat(first.name()).hasValue("own");
            assertThat(first.ownerPid()).hasValue(ProcessHandle.current().pid());
            assertThat(first.ownerHost()).hasValue(Connections.localHostName());
            assertThat(first.heldSince()).isPresent();
            assertThat(first.fencingToken()).hasValue(ownToken);
            HeldLock second = held.get(1);
            assertThat(second.ownerPid()).hasValue(ProcessHandle.current().pid());
            assertThat(second.ownerHost()).isPresent();
            assertThat(theirs.locksHeld().get(1).fencingToken())
                    .hasValue(theirs.retrieveLock(6).fencingToken());
            theirs.retrieveLock(6).unlock();
            own.close();
        }
    }

    @Test
    void optionsShouldRejectBoundsThatCannotHold() {
        PostgresLockManager.Options defaults = PostgresLockManager.Options.defaults();
        assertThat(defaults.sessionTimeout()).isEqualTo(Duration.ofSeconds(8));
        assertThat(defaults.leaseTimeout()).isLessThan(defaults.sessionTimeout());
        assertThat(defaults.heartbeatInterval()).isEqualTo(Duration.ofSeconds(2));
        assertThatIllegalArgumentException()
                .isThrownBy(() -> defaults.withSessionTimeout(Duration.ofMillis(500)))
                .withMessageContaining("was 500 ms");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> defaults.withHeartbeatInterval(Duration.ofSeconds(4)))
                .withMessageContaining("at most half the lease of 6400 ms");
        assertThatIllegalArgumentException().isThrownBy(() -> defaults.withMaxWaitingSessions(0));
        assertThat(defaults.withCredentials("u", "p").toString()).doesNotContain("=p,");
    }
}
