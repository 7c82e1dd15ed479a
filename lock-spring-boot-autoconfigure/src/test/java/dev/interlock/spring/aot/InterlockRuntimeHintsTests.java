package dev.interlock.spring.aot;

import static org.assertj.core.api.Assertions.assertThat;

import dev.interlock.spring.WithLock;
import dev.interlock.spring.autoconfigure.InterlockAutoConfiguration;
import dev.interlock.spring.autoconfigure.InterlockProperties;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.aot.hint.MemberCategory;
import org.springframework.aot.hint.RuntimeHints;
import org.springframework.aot.hint.TypeHint;
import org.springframework.aot.hint.TypeReference;
import org.springframework.aot.hint.predicate.RuntimeHintsPredicates;
import org.springframework.beans.factory.aot.AotServices;
import org.springframework.beans.factory.aot.BeanFactoryInitializationAotProcessor;
import org.springframework.beans.factory.aot.BeanRegistrationAotProcessor;
import org.springframework.context.annotation.ImportRuntimeHints;
import org.springframework.core.io.Resource;
import org.springframework.core.io.support.PathMatchingResourcePatternResolver;

/**
 * Tests for {@link InterlockRuntimeHints}, checked with Spring's {@link RuntimeHintsPredicates}
 * against the real classes, so that a renamed class or native method fails here rather than in a
 * native image. A native image itself is not built: there is no GraalVM on these machines.
 *
 * @author Interlock team
 */
class InterlockRuntimeHintsTests {

    private final RuntimeHints hints = new RuntimeHints();

    InterlockRuntimeHintsTests() {
        new InterlockRuntimeHints().registerHints(hints, getClass().getClassLoader());
    }

    @Test
    void registrarShouldBeImportedByTheAutoConfiguration() {
        assertThat(InterlockAutoConfiguration.class
                        .getAnnotation(ImportRuntimeHints.class)
                        .value())
                .containsExactly(InterlockRuntimeHints.class);
    }

    @Test
    void propertiesShouldBeBindableByReflection() throws NoSuchMethodException {
        assertThat(RuntimeHintsPredicates.reflection().onType(InterlockProperties.class))
                .accepts(hints);
        assertThat(RuntimeHintsPredicates.reflection().onMethodInvocation(InterlockProperties.class, "setBackend"))
                .accepts(hints);
        assertThat(RuntimeHintsPredicates.reflection().onMethodInvocation(InterlockProperties.Shm.class, "setNumLocks"))
                .accepts(hints);
        assertThat(RuntimeHintsPredicates.reflection()
                        .onConstructorInvocation(InterlockProperties.class.getConstructor()))
                .accepts(hints);
    }

    @Test
    void withLockAnnotationShouldBeReadableByReflection() {
        assertThat(RuntimeHintsPredicates.reflection().onMethodInvocation(WithLock.class, "name"))
                .accepts(hints);
        assertThat(RuntimeHintsPredicates.reflection().onMethodInvocation(WithLock.class, "timeout"))
                .accepts(hints);
    }

    @Test
    void everyNativeMethodOfTheBackendsShouldBeRegisteredForReflectionAndJni() throws ClassNotFoundException {
        assertThat(InterlockRuntimeHints.DIRECT_MAPPED_CLASSES).hasSize(2);
        for (String name : InterlockRuntimeHints.DIRECT_MAPPED_CLASSES) {
            Class<?> type = Class.forName(name);
            List<Method> natives = Arrays.stream(type.getDeclaredMethods())
                    .filter(method -> Modifier.isNative(method.getModifiers()))
                    .toList();
            assertThat(natives).as("native methods of %s", name).isNotEmpty();
            for (Method method : natives) {
                assertThat(RuntimeHintsPredicates.reflection().onMethodInvocation(method))
                        .as("reflection hint for %s", method)
                        .accepts(hints);
            }
            assertThat(categories(hints.jni().getTypeHint(TypeReference.of(name))))
                    .as("JNI hint for %s", name)
                    .contains(MemberCategory.INVOKE_DECLARED_METHODS);
        }
    }

    /** A backend class with native methods that the hints do not name would fail in a native image. */
    @Test
    void directMappedClassesShouldBeEveryCoreClassWithNativeMethods() throws Exception {
        List<String> withNatives = new ArrayList<>();
        ClassLoader loader = getClass().getClassLoader();
        for (Resource resource :
                new PathMatchingResourcePatternResolver(loader).getResources("classpath*:dev/interlock/**/*.class")) {
            String path = resource.getURL().toString();
            if (path.contains("/dev/interlock/spring/") || !path.contains("lock-core")) {
                continue;
            }
            String name = path.substring(path.lastIndexOf("dev/interlock/"), path.length() - ".class".length())
                    .replace('/', '.');
            boolean hasNatives = Arrays.stream(
                            Class.forName(name, false, loader).getDeclaredMethods())
                    .anyMatch(method -> Modifier.isNative(method.getModifiers()));
            if (hasNatives) {
                withNatives.add(name);
            }
        }

        assertThat(withNatives).containsExactlyInAnyOrderElementsOf(InterlockRuntimeHints.DIRECT_MAPPED_CLASSES);
    }

    @Test
    void jnaClassesCalledFromNativeCodeShouldExistAndBeRegisteredForJni() throws ClassNotFoundException {
        for (String name : InterlockRuntimeHints.JNA_JNI_CLASSES) {
            Class.forName(name, false, getClass().getClassLoader());
            assertThat(categories(hints.jni().getTypeHint(TypeReference.of(name))))
                    .as("JNI hint for %s", name)
                    .contains(
                            MemberCategory.INVOKE_DECLARED_CONSTRUCTORS,
                            MemberCategory.INVOKE_DECLARED_METHODS,
                            MemberCategory.ACCESS_DECLARED_FIELDS);
        }
    }

    @Test
    void jnaDispatchLibrariesShouldExistAndBeIncludedAsResources() {
        for (String library : InterlockRuntimeHints.JNA_DISPATCH_LIBRARIES) {
            assertThat(getClass().getClassLoader().getResource(library))
                    .as("%s in the JNA jar", library)
                    .isNotNull();
            assertThat(RuntimeHintsPredicates.resource().forResource(library)).accepts(hints);
        }
    }

    @Test
    void startupCheckShouldReachItsConditionsAndAutoConfigurationsByReflection() {
        for (String condition : BuildTimeConditions.PROPERTY_CONDITIONS) {
            assertThat(RuntimeHintsPredicates.reflection().onType(TypeReference.of(condition)))
                    .accepts(hints);
        }
        assertThat(RuntimeHintsPredicates.reflection()
                        .onType(InterlockAutoConfiguration.class)
                        .withMemberCategory(MemberCategory.INTROSPECT_DECLARED_METHODS))
                .accepts(hints);
    }

    @Test
    void aotProcessorsShouldBeRegisteredInAotFactories() {
        assertThat(AotServices.factories().load(BeanFactoryInitializationAotProcessor.class))
                .anyMatch(BuildTimeConditions.class::isInstance);
        assertThat(AotServices.factories().load(BeanRegistrationAotProcessor.class))
                .anyMatch(WithLockBeanRegistrationAotProcessor.class::isInstance);
    }

    private static List<MemberCategory> categories(TypeHint hint) {
        return (hint != null) ? List.copyOf(hint.getMemberCategories()) : List.of();
    }
}
