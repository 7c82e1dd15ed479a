package dev.interlock.spring.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import dev.interlock.Manager;
import dev.interlock.postgresql.PostgresLockManager;
import dev.interlock.postgresql.SessionState;
import dev.interlock.spring.LostLockTracker;
import dev.interlock.spring.actuate.InterlockHealthIndicator;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/**
 * Tests for {@link PostgresBackend}, {@link PostgresStartupFailureAnalyzer} and the health of a
 * PostgreSQL manager, against a real server ({@link PostgresTestServer}). Each test uses lock
 * spaces of its own and drops them.
 *
 * @author Interlock team
 */
class PostgresBackendTests {

    private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(
                    InterlockAutoConfiguration.class, InterlockHealthContributorAutoConfiguration.class))
            .withPropertyValues("interlock.backend=postgresql", "interlock.postgresql.connect-timeout=60s");

    private final String space = PostgresTestServer.uniqueSpace("starter");

    private final List<String> roles = new ArrayList<>();

    @AfterEach
    void dropLockSpaceAndRoles() {
        PostgresLockManager.drop(PostgresTestServer.url(), space);
        for (String role : roles) {
            PostgresTestServer.execute("DROP SCHEMA IF EXISTS " + role + " CASCADE", "DROP ROLE IF EXISTS " + role);
        }
    }

    @Test
    void postgresqlBackendShouldOpenTheLockSpaceNamedAfterTheApplicationWithTheConfiguredOptions() {
        contextRunner
                .withPropertyValues(
                        "interlock.postgresql.url=" + PostgresTestServer.url(),
                        "spring.application.name=" + space,
                        "interlock.postgresql.num-locks=100",
                        "interlock.postgresql.session-timeout=3s",
                        "interlock.postgresql.heartbeat-interval=500ms",
                        "interlock.postgresql.max-waiting-sessions=2",
                        "interlock.postgresql.hand-off-acquisitions=50",
                        "interlock.postgresql.hand-off-time=5ms")
                .run(context -> {
                    assertThat(context).hasSingleBean(Manager.class).hasSingleBean(LostLockTracker.class);
                    PostgresLockManager manager = (PostgresLockManager) context.getBean(Manager.class);
                    assertThat(manager.lockSpace()).isEqualTo(space);
                    assertThat(manager.availableLocks()).hasValue(100);
                    assertThat(manager.options().sessionTimeout()).isEqualTo(Duration.ofSeconds(3));
                    assertThat(manager.options().heartbeatInterval()).isEqualTo(Duration.ofMillis(500));
                    assertThat(manager.options().maxWaitingSessions()).isEqualTo(2);
                    assertThat(manager.options().handOffAcquisitions()).isEqualTo(50);
                    assertThat(manager.options().handOffTime()).isEqualTo(Duration.ofMillis(5));
                    assertThat(manager.options().lockLostListener()).isSameAs(context.getBean(LostLockTracker.class));
                    assertThat(ManagerBackends.nameOf(manager)).isEqualTo("postgresql");
                });
    }

    @Test
    void urlAndUserShouldDefaultToTheDatasourceSettingsWithoutCreatingADataSource() {
        String url = PostgresTestServer.url();
        contextRunner
                .withPropertyValues(
                        "spring.datasource.url=" + url,
                        "spring.datasource.username=" + userOf(url),
                        "interlock.postgresql.lock-space=" + space)
                .run(context -> {
                    assertThat(context).hasSingleBean(Manager.class).doesNotHaveBean(javax.sql.DataSource.class);
                    PostgresLockManager manager = (PostgresLockManager) context.getBean(Manager.class);
                    assertThat(manager.lockSpace()).isEqualTo(space);
                    assertThat(manager.options().user()).isEqualTo(userOf(url));
                });
    }

    @Test
    void postgresqlBackendWhenLockPostgresqlMissingShouldFailNamingTheDependency() {
        contextRunner
                .withClassLoader(new FilteredClassLoader(PostgresLockManager.class))
                .withPropertyValues("interlock.postgresql.url=" + PostgresTestServer.url())
                .run(context -> {
                    assertThat(context).hasFailed();
                    FailureAnalysis analysis =
                            new InvalidInterlockPropertyFailureAnalyzer().analyze(context.getStartupFailure());
                    assertThat(analysis).isNotNull();
                    assertThat(analysis.getDescription())
                            .isEqualTo("Invalid value 'postgresql' for property 'interlock.backend': the postgresql"
                                    + " backend is in the module dev.interlock:lock-postgresql, which is not on the"
                                    + " classpath (dev.interlock.postgresql.PostgresLockManager was not found).");
                    assertThat(analysis.getAction())
                            .isEqualTo("Add the dependency dev.interlock:lock-postgresql (the version of the starter;"
                                    + " the Interlock BOM manages it) to the application, or set interlock.backend"
                                    + " to shm, file or memory.");
                });
    }

    @Test
    void postgresqlBackendWithoutUrlShouldFailWithAnalysis() {
        contextRunner.withPropertyValues("spring.application.name=" + space).run(context -> {
            assertThat(context).hasFailed();
            FailureAnalysis analysis =
                    new InvalidInterlockPropertyFailureAnalyzer().analyze(context.getStartupFailure());
            assertThat(analysis).isNotNull();
            assertThat(analysis.getDescription())
                    .isEqualTo("Invalid value '' for property 'interlock.postgresql.url': the postgresql backend needs"
                            + " the JDBC URL of its database, and neither interlock.postgresql.url nor"
                            + " spring.datasource.url is set.");
        });
    }

    @Test
    void postgresqlBackendWithoutLockSpaceOrApplicationNameShouldFailWithAnalysis() {
        contextRunner
                .withPropertyValues("interlock.postgresql.url=" + PostgresTestServer.url())
                .run(context -> {
                    assertThat(context).hasFailed();
                    FailureAnalysis analysis =
                            new InvalidInterlockPropertyFailureAnalyzer().analyze(context.getStartupFailure());
                    assertThat(analysis).isNotNull();
                    assertThat(analysis.getDescription())
                            .contains("'interlock.postgresql.lock-space'")
                            .contains("neither interlock.postgresql.lock-space nor spring.application.name is set");
                    assertThat(analysis.getAction()).contains("or set spring.application.name");
                });
    }

    @Test
    void sessionTimeoutOutOfRangeShouldFailWithAnalysis() {
        contextRunner
                .withPropertyValues(
                        "interlock.postgresql.url=" + PostgresTestServer.url(),
                        "interlock.postgresql.lock-space=" + space,
                        "interlock.postgresql.session-timeout=100ms")
                .run(context -> {
                    assertThat(context).hasFailed();
                    FailureAnalysis analysis =
                            new InvalidInterlockPropertyFailureAnalyzer().analyze(context.getStartupFailure());
                    assertThat(analysis).isNotNull();
                    assertThat(analysis.getDescription())
                            .startsWith(
                                    "Invalid value 'PT0.1S' for property 'interlock.postgresql.session-timeout': The"
                                            + " session timeout must be 1 s to 1 day");
                    assertThat(analysis.getAction())
                            .isEqualTo("Set interlock.postgresql.session-timeout to a duration from 1s to 1d, such as"
                                    + " 8s, or remove it to use the backend's default.");
                });
    }

    @Test
    void handOffAcquisitionsOutOfRangeShouldFailWithAnalysis() {
        contextRunner
                .withPropertyValues(
                        "interlock.postgresql.url=" + PostgresTestServer.url(),
                        "interlock.postgresql.lock-space=" + space,
                        "interlock.postgresql.hand-off-acquisitions=0")
                .run(context -> {
                    assertThat(context).hasFailed();
                    FailureAnalysis analysis =
                            new InvalidInterlockPropertyFailureAnalyzer().analyze(context.getStartupFailure());
                    assertThat(analysis).isNotNull();
                    assertThat(analysis.getDescription())
                            .startsWith("Invalid value '0' for property 'interlock.postgresql.hand-off-acquisitions':"
                                    + " The hand-off count must be 1 to 1000000 acquisitions, but was 0");
                    assertThat(analysis.getAction())
                            .isEqualTo("Set interlock.postgresql.hand-off-acquisitions to a count from 1 to 1000000,"
                                    + " such as 200, or remove it to use the backend's default.");
                });
    }

    @Test
    void unreachableServerShouldFailWithAnalysisNamingTheUrlAndUser() {
        String url = "jdbc:postgresql://127.0.0.1:1/test?user=app&password=secret";
        contextRunner
                .withPropertyValues(
                        "interlock.postgresql.url=" + url,
                        "interlock.postgresql.lock-space=" + space,
                        "interlock.postgresql.connect-timeout=2s")
                .run(context -> {
                    assertThat(context).hasFailed();
                    FailureAnalysis analysis = analyze(context.getStartupFailure());
                    assertThat(analysis.getDescription())
                            .startsWith("Interlock's postgresql backend cannot connect to"
                                    + " jdbc:postgresql://127.0.0.1:1/test?user=app&password=**** (from"
                                    + " interlock.postgresql.url) as user 'app': ")
                            .doesNotContain("secret");
                    assertThat(analysis.getAction())
                            .startsWith("Check that PostgreSQL runs at that host and port and accepts connections");
                });
    }

    @Test
    void unknownUserShouldFailWithAuthenticationAnalysis() {
        contextRunner
                .withPropertyValues(
                        "interlock.postgresql.url=" + PostgresTestServer.url(),
                        "interlock.postgresql.username=no_such_role_"
                                + UUID.randomUUID().toString().substring(0, 8),
                        "interlock.postgresql.password=wrong",
                        "interlock.postgresql.lock-space=" + space)
                .run(context -> {
                    assertThat(context).hasFailed();
                    FailureAnalysis analysis = analyze(context.getStartupFailure());
                    assertThat(analysis.getDescription())
                            .contains(" refused the login of Interlock's postgresql backend: ")
                            .contains("as user 'no_such_role_");
                    assertThat(analysis.getAction())
                            .isEqualTo("Set interlock.postgresql.username and interlock.postgresql.password"
                                    + " (defaults: spring.datasource.username and spring.datasource.password) to a"
                                    + " login that the server accepts, and check its pg_hba.conf.");
                });
    }

    @Test
    void userWithoutCreatePrivilegeShouldFailWithPrivilegeAnalysisAndCreateNothing() {
        String role = "interlock_nocreate_" + UUID.randomUUID().toString().substring(0, 8);
        roles.add(role);
        PostgresTestServer.execute("CREATE ROLE " + role + " LOGIN PASSWORD 'pw'");
        contextRunner
                .withPropertyValues(
                        "interlock.postgresql.url=" + PostgresTestServer.url(),
                        "interlock.postgresql.username=" + role,
                        "interlock.postgresql.password=pw",
                        "interlock.postgresql.schema=" + role,
                        "interlock.postgresql.lock-space=" + space)
                .run(context -> {
                    assertThat(context).hasFailed();
                    FailureAnalysis analysis = analyze(context.getStartupFailure());
                    assertThat(analysis.getDescription())
                            .startsWith("User '" + role + "' may not create or use Interlock's tables in schema " + role
                                    + " at ")
                            .contains("SQLSTATE 42501");
                    assertThat(analysis.getAction())
                            .startsWith("Grant the user CREATE on the database (GRANT CREATE ON DATABASE <database>"
                                    + " TO " + role + ") so that the backend creates schema " + role);
                });
    }

    @Test
    void lockSpaceWithAnotherCountShouldFailWithCountMismatchAnalysis() {
        PostgresLockManager.create(PostgresTestServer.url(), space, 100).close();
        contextRunner
                .withPropertyValues(
                        "interlock.postgresql.url=" + PostgresTestServer.url(),
                        "interlock.postgresql.lock-space=" + space,
                        "interlock.postgresql.num-locks=200")
                .run(context -> {
                    assertThat(context).hasFailed();
                    FailureAnalysis analysis = analyze(context.getStartupFailure());
                    assertThat(analysis.getDescription())
                            .startsWith("The lock space '" + space + "' at ")
                            .endsWith(" exists with 100 locks, but interlock.postgresql.num-locks asks for 200.");
                    assertThat(analysis.getAction())
                            .isEqualTo("Either set interlock.postgresql.num-locks to 100 to use the existing lock"
                                    + " space, or renumber: stop every process that uses it, remove it with"
                                    + " PostgresLockManager.drop(url, \"" + space + "\"), start again, and re-claim"
                                    + " stored lock IDs with Manager.allocateAndRetrieveLock(id); or use another lock"
                                    + " space (interlock.postgresql.lock-space).");
                });
    }

    @Test
    void healthShouldReportTheSessionStateUpWhileHealthyAndDownOnceLost() throws Exception {
        java.util.concurrent.CountDownLatch lost = new java.util.concurrent.CountDownLatch(1);
        try (PostgresLockManager manager = PostgresLockManager.create(
                PostgresTestServer.url(),
                space,
                10,
                PostgresLockManager.Options.defaults()
                        .withConnectTimeout(Duration.ofSeconds(60))
                        .withSessionStateListener((previous, current, detail) -> {
                            if (current == SessionState.LOST) {
                                lost.countDown();
                            }
                        }))) {
            InterlockHealthIndicator indicator = new InterlockHealthIndicator(manager, "postgresql", 1);
            Health up = indicator.health(true);
            assertThat(up.getStatus()).isEqualTo(Status.UP);
            assertThat(up.getDetails())
                    .containsEntry("backend", "postgresql")
                    .containsEntry("session", "HEALTHY")
                    .containsEntry("lockSpace", space)
                    .containsEntry("sessionTimeout", "PT8S")
                    .containsEntry("available", 10);

            manager.allocateLock().lock();
            assertThat(PostgresTestServer.terminateHolders(space)).isEqualTo(1);
            assertThat(lost.await(20, java.util.concurrent.TimeUnit.SECONDS))
                    .as("session reported LOST within 20 s")
                    .isTrue();
            Health down = indicator.health(true);
            assertThat(down.getStatus()).isEqualTo(Status.DOWN);
            assertThat(down.getDetails()).containsEntry("session", "LOST").containsEntry("lockSpace", space);

            manager.close();
            assertThat(indicator.health(true).getDetails()).containsEntry("session", "CLOSED");
        }
    }

    private static FailureAnalysis analyze(Throwable failure) {
        FailureAnalysis analysis = new PostgresStartupFailureAnalyzer().analyze(failure);
        assertThat(analysis).as("analysis of %s", failure).isNotNull();
        return analysis;
    }

    private static String userOf(String url) {
        int at = url.indexOf("user=");
        if (at < 0) {
            return System.getProperty("user.name");
        }
        int end = url.indexOf('&', at);
        return url.substring(at + "user=".length(), end < 0 ? url.length() : end);
    }
}
