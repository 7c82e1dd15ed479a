package dev.interlock.spring.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import dev.interlock.Manager;
import dev.interlock.memory.InMemoryManager;
import dev.interlock.spring.actuate.InterlockHealthIndicator;
import org.junit.jupiter.api.Test;
import org.springframework.boot.actuate.autoconfigure.endpoint.EndpointAutoConfiguration;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.actuate.endpoint.CompositeHealthDescriptor;
import org.springframework.boot.health.actuate.endpoint.HealthEndpoint;
import org.springframework.boot.health.autoconfigure.actuate.endpoint.HealthEndpointAutoConfiguration;
import org.springframework.boot.health.autoconfigure.contributor.HealthContributorAutoConfiguration;
import org.springframework.boot.health.autoconfigure.registry.HealthContributorRegistryAutoConfiguration;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;

/**
 * Probe tests for issue 14's defect 4, "two {@code Manager} beans stop the application": with
 * Boot's health endpoint configured, an application that defines two managers starts and its
 * health endpoint reports (before the fix, the health indicator's {@code Manager} parameter failed
 * the start with {@code NoUniqueBeanDefinitionException}); with one of them {@code @Primary}, the
 * {@code interlock} component reports on that one.
 *
 * @author Interlock team
 */
class TwoManagersProbeTests {

    private final WebApplicationContextRunner contextRunner = new WebApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(
                    EndpointAutoConfiguration.class,
                    InterlockAutoConfiguration.class,
                    InterlockHealthContributorAutoConfiguration.class,
                    HealthContributorAutoConfiguration.class,
                    HealthContributorRegistryAutoConfiguration.class,
                    HealthEndpointAutoConfiguration.class))
            .withPropertyValues(
                    "management.endpoints.web.exposure.include=health",
                    "management.endpoint.health.show-components=always");

    @Test
    void twoManagerBeansShouldStartAndHealthShouldReport() {
        contextRunner
                .withBean("first", Manager.class, () -> InMemoryManager.create(4))
                .withBean("second", Manager.class, () -> InMemoryManager.create(4))
                .run(context -> {
                    assertThat(context).hasNotFailed().doesNotHaveBean(InterlockHealthIndicator.class);
                    assertThat(context.getBean(HealthEndpoint.class).health().getStatus())
                            .isEqualTo(Status.UP);
                });
    }

    @Test
    void twoManagerBeansWithAPrimaryShouldReportThePrimaryInHealth() {
        contextRunner
                .withBean(
                        "first",
                        Manager.class,
                        () -> InMemoryManager.create(4),
                        definition -> definition.setPrimary(true))
                .withBean("second", Manager.class, () -> InMemoryManager.create(8))
                .run(context -> {
                    assertThat(context).hasNotFailed().hasSingleBean(InterlockHealthIndicator.class);
                    CompositeHealthDescriptor health = (CompositeHealthDescriptor)
                            context.getBean(HealthEndpoint.class).health();
                    assertThat(health.getComponents()).containsKey("interlock");
                    assertThat(health.getStatus()).isEqualTo(Status.UP);
                    assertThat(context.getBean(InterlockHealthIndicator.class)
                                    .health()
                                    .getDetails())
                            .containsEntry("capacity", 4);
                });
    }
}
