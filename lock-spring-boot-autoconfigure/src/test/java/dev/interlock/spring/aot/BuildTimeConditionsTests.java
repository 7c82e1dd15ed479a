package dev.interlock.spring.aot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatNoException;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.verify;

import java.io.IOException;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.aot.generate.ClassNameGenerator;
import org.springframework.aot.generate.DefaultGenerationContext;
import org.springframework.aot.generate.GeneratedFiles;
import org.springframework.aot.generate.InMemoryGeneratedFiles;
import org.springframework.beans.factory.aot.BeanFactoryInitializationAotContribution;
import org.springframework.beans.factory.aot.BeanFactoryInitializationCode;
import org.springframework.beans.factory.support.DefaultListableBeanFactory;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.javapoet.ClassName;
import org.springframework.mock.env.MockEnvironment;

/**
 * Tests for {@link BuildTimeConditions}: what AOT processing records and generates, and the
 * startup check against the run-time environment with the failure analysis text. {@code
 * CounterDemoAotIT} in the counter demo runs the generated check in a real AOT-processed
 * application.
 *
 * @author Interlock team
 */
class BuildTimeConditionsTests {

    private static final String WITH_LOCK = "dev.interlock.spring.autoconfigure.WithLockAutoConfiguration";

    private static final String ENDPOINT = "dev.interlock.spring.autoconfigure.LocksEndpointAutoConfiguration";

    private static final String HEALTH =
            "dev.interlock.spring.autoconfigure.InterlockHealthContributorAutoConfiguration";

    private final BuildTimeConditions processor = new BuildTimeConditions();

    @Test
    void aotProcessingShouldRecordThePropertyConditionsOfEachAutoConfiguration() {
        Map<String, Boolean> built = atBuildTime(new MockEnvironment()
                .withProperty("interlock.aspect.enabled", "false")
                .withProperty("management.endpoints.web.exposure.include", "locks"));

        assertThat(built)
                .containsEntry(WITH_LOCK, false)
                .containsEntry(ENDPOINT, true)
                .containsEntry(HEALTH, true)
                .containsEntry("dev.interlock.spring.autoconfigure.InterlockAutoConfiguration", true)
                .containsEntry("dev.interlock.spring.autoconfigure.InterlockMetricsAutoConfiguration", true)
                .containsEntry("dev.interlock.spring.autoconfigure.LockTemplateAutoConfiguration", true);
    }

    @Test
    void aotProcessingShouldGenerateAnInitializerThatChecksTheRecordedOutcomes() throws IOException {
        DefaultListableBeanFactory beanFactory = new DefaultListableBeanFactory();
        beanFactory.registerSingleton(
                "environment", new MockEnvironment().withProperty("interlock.aspect.enabled", "false"));
        BeanFactoryInitializationAotContribution contribution = processor.processAheadOfTime(beanFactory);
        assertThat(contribution).isNotNull();
        InMemoryGeneratedFiles files = new InMemoryGeneratedFiles();
        DefaultGenerationContext generationContext =
                new DefaultGenerationContext(new ClassNameGenerator(ClassName.get("com.example", "App")), files);
        BeanFactoryInitializationCode code = mock(BeanFactoryInitializationCode.class);

        contribution.applyTo(generationContext, code);
        generationContext.writeGeneratedContent();

        verify(code)
                .addInitializer(org.mockito.ArgumentMatchers.argThat(method -> method.toString()
                        .equals("dev.interlock.spring.aot.BuildTimeConditions__InterlockBuildTimeConditions::check")));
        assertThat(files.getGeneratedFileContent(
                        GeneratedFiles.Kind.SOURCE,
                        "dev/interlock/spring/aot/BuildTimeConditions__InterlockBuildTimeConditions.java"))
                .contains("built.put(\"" + WITH_LOCK + "\", false);")
                .contains("BuildTimeConditions.verify(built, environment, beanFactory);");
    }

    @Test
    void beanFactoryWithoutEnvironmentShouldGetNoContribution() {
        assertThat(processor.processAheadOfTime(new DefaultListableBeanFactory()))
                .isNull();
    }

    @Test
    void sameSettingsAtRunTimeShouldPass() {
        MockEnvironment environment = new MockEnvironment().withProperty("interlock.aspect.enabled", "false");
        Map<String, Boolean> built = atBuildTime(environment);

        assertThatNoException()
                .isThrownBy(() -> BuildTimeConditions.verify(built, environment, new DefaultListableBeanFactory()));
    }

    @Test
    void aspectEnabledAtRunTimeButDisabledAtBuildTimeShouldFailWithAnalysis() {
        Map<String, Boolean> built =
                atBuildTime(new MockEnvironment().withProperty("interlock.aspect.enabled", "false"));

        BuildTimeConditionException failure = verifyFails(built, new MockEnvironment());

        assertThat(failure.changes())
                .containsExactly(new BuildTimeConditionException.Change(
                        "WithLockAutoConfiguration",
                        false,
                        "@ConditionalOnBooleanProperty ([interlock.enabled,interlock.aspect.enabled]=true) matched"));
        FailureAnalysis analysis = new BuildTimeConditionFailureAnalyzer().analyze(failure);
        assertThat(analysis.getDescription())
                .isEqualTo("Spring AOT (spring.aot.enabled=true) evaluated Interlock's conditions once, at build time,"
                        + " and does not evaluate them again, and these differ now:\n"
                        + "  - WithLockAutoConfiguration was left out at build time, but now it would be included:"
                        + " @ConditionalOnBooleanProperty ([interlock.enabled,interlock.aspect.enabled]=true) matched");
        assertThat(analysis.getAction())
                .isEqualTo("Set the properties named above back to their values at build time, or rebuild with AOT"
                        + " processing seeing the values you want (in application.properties or a profile active"
                        + " during the build, or in the process-aot goal's"
                        + " <jvmArguments>-Dproperty=value</jvmArguments> of spring-boot-maven-plugin), or start"
                        + " without -Dspring.aot.enabled=true.");
    }

    @Test
    void endpointExposedAtBuildTimeButNotAtRunTimeShouldFail() {
        Map<String, Boolean> built = atBuildTime(
                new MockEnvironment().withProperty("management.endpoints.web.exposure.include", "health,locks"));

        BuildTimeConditionException failure = verifyFails(built, new MockEnvironment());

        assertThat(failure.changes())
                .extracting(BuildTimeConditionException.Change::element)
                .containsExactly("LocksEndpointAutoConfiguration");
        assertThat(failure.changes()).allMatch(BuildTimeConditionException.Change::matchedAtBuild);
        assertThat(failure.getMessage()).contains("left out");
    }

    @Test
    void healthIndicatorDisabledAtRunTimeShouldFail() {
        Map<String, Boolean> built = atBuildTime(new MockEnvironment());

        BuildTimeConditionException failure =
                verifyFails(built, new MockEnvironment().withProperty("management.health.interlock.enabled", "false"));

        assertThat(failure.changes())
                .extracting(BuildTimeConditionException.Change::element)
                .containsExactly("InterlockHealthContributorAutoConfiguration");
        assertThat(failure.changes().get(0).runTimeReason()).contains("management.health.interlock.enabled");
    }

    private static Map<String, Boolean> atBuildTime(MockEnvironment environment) {
        DefaultListableBeanFactory beanFactory = new DefaultListableBeanFactory();
        ClassLoader classLoader = BuildTimeConditionsTests.class.getClassLoader();
        return BuildTimeConditions.atBuildTime(
                BuildTimeConditions.autoConfigurations(classLoader),
                new BuildTimeConditions.Context(beanFactory, beanFactory, environment, classLoader));
    }

    private static BuildTimeConditionException verifyFails(Map<String, Boolean> built, MockEnvironment environment) {
        try {
            BuildTimeConditions.verify(built, environment, new DefaultListableBeanFactory());
        } catch (BuildTimeConditionException ex) {
            return ex;
        }
        throw new AssertionError("No BuildTimeConditionException for " + built + " with " + environment);
    }
}
