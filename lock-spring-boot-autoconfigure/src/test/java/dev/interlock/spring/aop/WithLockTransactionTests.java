package dev.interlock.spring.aop;

import static org.assertj.core.api.Assertions.assertThat;

import dev.interlock.Manager;
import dev.interlock.spring.WithLock;
import dev.interlock.spring.autoconfigure.InterlockAutoConfiguration;
import dev.interlock.spring.autoconfigure.WithLockAutoConfiguration;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.DataSourceTransactionManagerAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.JdbcTemplateAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.transaction.autoconfigure.TransactionAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.annotation.EnableTransactionManagement;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * Tests for the order of {@link WithLockAdvisor} against a real {@code @Transactional} on an
 * embedded H2 database: by default the lock is still held when the transaction commits, so the
 * next holder in any process reads committed data.
 *
 * @author Interlock team
 */
class WithLockTransactionTests {

    private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(
                    AopAutoConfiguration.class,
                    DataSourceAutoConfiguration.class,
                    DataSourceTransactionManagerAutoConfiguration.class,
                    JdbcTemplateAutoConfiguration.class,
                    TransactionAutoConfiguration.class,
                    InterlockAutoConfiguration.class,
                    WithLockAutoConfiguration.class))
            .withPropertyValues("interlock.backend=memory", "spring.datasource.generate-unique-name=true")
            .withUserConfiguration(AccountConfiguration.class);

    @Test
    void byDefaultTheLockShouldBeHeldUntilAfterTheCommit() {
        contextRunner.run(context -> {
            Observation observation = context.getBean(AccountService.class).deposit(10);
            assertThat(observation.transactionActive).isTrue();
            assertThat(observation.lockHeldInMethod).isTrue();
            assertThat(observation.lockHeldAfterCommit).isTrue();
            assertThat(context.getBean(AccountService.class).balance()).isEqualTo(10);
            assertThat(context.getBean(Manager.class).locksHeld()).isEmpty();
        });
    }

    @Test
    void transactionAdvisorOrderedFirstShouldPutTheLockInsideTheTransaction() {
        contextRunner.withUserConfiguration(OuterTransactionConfiguration.class).run(context -> {
            Observation observation = context.getBean(AccountService.class).deposit(10);
            assertThat(observation.transactionActive).isTrue();
            assertThat(observation.lockHeldInMethod).isTrue();
            assertThat(observation.lockHeldAfterCommit).isFalse();
        });
    }

    @Test
    void aspectOrderPropertyShouldMoveTheLockOutsideAgain() {
        contextRunner
                .withUserConfiguration(OuterTransactionConfiguration.class)
                .withPropertyValues("interlock.aspect.order=-100")
                .run(context -> {
                    Observation observation =
                            context.getBean(AccountService.class).deposit(10);
                    assertThat(observation.lockHeldAfterCommit).isTrue();
                });
    }

    /** What the method saw: filled in during the call and its transaction's commit. */
    static final class Observation {

        volatile boolean transactionActive;

        volatile boolean lockHeldInMethod;

        volatile boolean lockHeldAfterCommit;
    }

    @Configuration(proxyBeanMethods = false)
    static class AccountConfiguration {

        @Bean
        AccountService accountService(JdbcTemplate jdbc, Manager manager) {
            jdbc.execute("create table account (balance int)");
            jdbc.update("insert into account values (0)");
            return new AccountService(jdbc, manager);
        }
    }

    @Configuration(proxyBeanMethods = false)
    @EnableTransactionManagement(order = 0)
    static class OuterTransactionConfiguration {}

    static class AccountService {

        private final JdbcTemplate jdbc;

        private final Manager manager;

        AccountService(JdbcTemplate jdbc, Manager manager) {
            this.jdbc = jdbc;
            this.manager = manager;
        }

        @WithLock(name = "account")
        @Transactional
        public Observation deposit(int amount) {
            jdbc.update("update account set balance = balance + ?", amount);
            Observation observation = new Observation();
            observation.transactionActive = TransactionSynchronizationManager.isActualTransactionActive();
            observation.lockHeldInMethod = accountLockHeld();
            TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
                @Override
                public void afterCommit() {
                    observation.lockHeldAfterCommit = accountLockHeld();
                }
            });
            return observation;
        }

        public int balance() {
            Integer balance = jdbc.queryForObject("select balance from account", Integer.class);
            return balance == null ? -1 : balance;
        }

        private boolean accountLockHeld() {
            return manager.locksHeld().stream()
                    .anyMatch(lock -> lock.name().filter("account"::equals).isPresent());
        }
    }
}
