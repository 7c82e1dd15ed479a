package dev.interlock.spring.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import dev.interlock.spring.actuate.InterlockHealthIndicator;
import dev.interlock.spring.metrics.InterlockMetrics;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

/**
 * {@code ApplicationContextRunner} tests for the Boot conventions of issue 14: health settings
 * under {@code management.health.interlock.*}, back-off on a user's {@code interlockHealthIndicator}
 * or {@code interlockHealthContributor}, retired properties reported at startup, and Micrometer on
 * the classpath without a registry.
 *
 * @author Interlock team
 */
@ExtendWith(OutputCaptureExtension.class)
class StarterConventionsTests {

    private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(
                    InterlockAutoConfiguration.class,
                    InterlockHealthContributorAutoConfiguration.class,
                    InterlockMetricsAutoConfiguration.class))
            .withPropertyValues("interlock.backend=memory", "interlock.memory.num-locks=8");

    @Test
    void minAvailableShouldBeReadFromManagementHealthInterlock() {
        contextRunner
                .withPropertyValues("management.health.interlock.min-available=5")
                .run(context -> assertThat(minAvailable(context.getBean(InterlockHealthIndicator.class)))
                        .isEqualTo(5));
    }

    @Test
    void retiredMinAvailableShouldStillApplyAndBeReported(CapturedOutput output) {
        contextRunner.withPropertyValues("interlock.health.min-available=3").run(context -> {
            assertThat(minAvailable(context.getBean(InterlockHealthIndicator.class)))
                    .isEqualTo(3);
            assertThat(output)
                    .contains("interlock.health.min-available=3 is retired and no longer read")
                    .contains("management.health.interlock.min-available");
        });
    }

    @Test
    void retiredFreeAllPropertyShouldBeReportedWithTheAccessPropertyToUse(CapturedOutput output) {
        contextRunner
                .withPropertyValues("interlock.endpoint.free-all.enabled=true")
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    assertThat(context.getBean(InterlockAutoConfiguration.RetiredPropertiesCheck.class)
                                    .count())
                            .isEqualTo(1);
                    assertThat(output)
                            .contains("interlock.endpoint.free-all.enabled=true is retired")
                            .contains("management.endpoint.locks.access=unrestricted");
                });
    }

    @Test
    void userHealthContributorNamedInterlockHealthContributorShouldWin() {
        contextRunner
                .withBean(
                        "interlockHealthContributor",
                        HealthIndicator.class,
                        () -> () -> Health.up().build())
                .run(context -> assertThat(context).doesNotHaveBean(InterlockHealthIndicator.class));
    }

    @Test
    void healthIndicatorShouldBackOffWhenDisabledUnderManagementHealth() {
        contextRunner
                .withPropertyValues("management.health.interlock.enabled=false")
                .run(context -> assertThat(context).doesNotHaveBean(InterlockHealthIndicator.class));
    }

    @Test
    void micrometerWithoutARegistryShouldConfigureNoMetricsAndStart() {
        contextRunner.run(context -> assertThat(context).hasNotFailed().doesNotHaveBean(InterlockMetrics.class));
    }

    private static int minAvailable(InterlockHealthIndicator indicator) {
        Health health = indicator.health();
        return ((Number) health.getDetails().get("minAvailable")).intValue();
    }
}
