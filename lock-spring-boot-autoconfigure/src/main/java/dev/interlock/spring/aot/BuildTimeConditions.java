package dev.interlock.spring.aot;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.lang.model.element.Modifier;
import org.jspecify.annotations.Nullable;
import org.springframework.aot.generate.GeneratedClass;
import org.springframework.aot.generate.GeneratedMethod;
import org.springframework.beans.BeanUtils;
import org.springframework.beans.factory.aot.BeanFactoryInitializationAotContribution;
import org.springframework.beans.factory.aot.BeanFactoryInitializationAotProcessor;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.beans.factory.support.BeanDefinitionRegistry;
import org.springframework.beans.factory.support.DefaultListableBeanFactory;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionOutcome;
import org.springframework.boot.autoconfigure.condition.SpringBootCondition;
import org.springframework.boot.context.annotation.ImportCandidates;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Condition;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.context.annotation.Conditional;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.Environment;
import org.springframework.core.io.DefaultResourceLoader;
import org.springframework.core.io.ResourceLoader;
import org.springframework.core.type.AnnotatedTypeMetadata;
import org.springframework.core.type.AnnotationMetadata;
import org.springframework.core.type.MethodMetadata;
import org.springframework.core.type.classreading.MetadataReaderFactory;
import org.springframework.core.type.classreading.SimpleMetadataReaderFactory;
import org.springframework.javapoet.CodeBlock;
import org.springframework.util.ClassUtils;
import org.springframework.util.MultiValueMap;

/**
 * Keeps Interlock's property conditions honest under Spring AOT. AOT processing evaluates every
 * condition once, at build time, and compiles the outcome into the application; a property that
 * a condition reads (such as {@code interlock.aspect.enabled}, {@code
 * management.health.interlock.enabled} or the exposure of the {@code locks} endpoint) would then
 * be silently ignored when set otherwise at run time.
 *
 * <p>During AOT processing this records, for each of Interlock's auto-configurations and their
 * {@code @Bean} methods, the outcome of the conditions that read properties, and generates an
 * initializer that evaluates the same conditions again at startup, before any bean is created.
 * When an outcome differs, startup fails with a {@link BuildTimeConditionException} that names the
 * setting and what to do. Conditions on classes and beans are left alone: AOT fixes the classpath
 * and the bean definitions by design. Without AOT the initializer does not exist and nothing
 * runs.
 *
 * @author Interlock team
 */
final class BuildTimeConditions implements BeanFactoryInitializationAotProcessor {

    /** Conditions that read properties only, evaluated at build time and again at run time. */
    static final Set<String> PROPERTY_CONDITIONS = Set.of(
            "org.springframework.boot.autoconfigure.condition.OnPropertyCondition",
            "org.springframework.boot.actuate.autoconfigure.endpoint.condition.OnAvailableEndpointCondition",
            "org.springframework.boot.health.autoconfigure.contributor.OnEnabledHealthIndicatorCondition");

    /** Decides whether an auto-configuration's classes are present; checked first, at build time. */
    private static final String CLASS_CONDITION = "org.springframework.boot.autoconfigure.condition.OnClassCondition";

    /** Interlock's auto-configurations are the ones in these packages. */
    private static final String INTERLOCK_PACKAGE = "dev.interlock.";

    /** Separates a class name from a {@code @Bean} method's name in an element's key. */
    private static final char METHOD_SEPARATOR = '#';

    @Override
    public @Nullable BeanFactoryInitializationAotContribution processAheadOfTime(
            ConfigurableListableBeanFactory beanFactory) {
        if (!(beanFactory instanceof BeanDefinitionRegistry registry)
                || !beanFactory.containsBean(ConfigurableApplicationContext.ENVIRONMENT_BEAN_NAME)) {
            return null;
        }
        Environment environment =
                beanFactory.getBean(ConfigurableApplicationContext.ENVIRONMENT_BEAN_NAME, Environment.class);
        ClassLoader classLoader = classLoader(beanFactory.getBeanClassLoader());
        List<String> autoConfigurations = autoConfigurations(classLoader);
        if (autoConfigurations.isEmpty()) {
            return null;
        }
        Map<String, Boolean> outcomes =
                atBuildTime(autoConfigurations, new Context(registry, beanFactory, environment, classLoader));
        return (generationContext, code) -> {
            GeneratedClass generated = generationContext
                    .getGeneratedClasses()
                    .addForFeatureComponent(
                            "InterlockBuildTimeConditions",
                            BuildTimeConditions.class,
                            type -> type.addJavadoc("Checks Interlock's property conditions against the build.")
                                    .addModifiers(Modifier.PUBLIC));
            GeneratedMethod check = generated
                    .getMethods()
                    .add(
                            "check",
                            method -> method.addJavadoc(
                                            "Fails startup when a property condition differs from the build.")
                                    .addModifiers(Modifier.PUBLIC, Modifier.STATIC)
                                    .addParameter(ConfigurableEnvironment.class, "environment")
                                    .addParameter(DefaultListableBeanFactory.class, "beanFactory")
                                    .addCode(checkCode(outcomes)));
            code.addInitializer(check.toMethodReference());
        };
    }

    private static CodeBlock checkCode(Map<String, Boolean> outcomes) {
        CodeBlock.Builder code = CodeBlock.builder();
        code.addStatement("$T<$T, $T> built = new $T<>()", Map.class, String.class, Boolean.class, LinkedHashMap.class);
        outcomes.forEach((element, matched) -> code.addStatement("built.put($S, $L)", element, matched));
        code.addStatement("$T.verify(built, environment, beanFactory)", BuildTimeConditions.class);
        return code.build();
    }

    /**
     * Evaluates the recorded conditions again at startup and fails when one of them differs from
     * its outcome at build time. Called by the code generated during AOT processing.
     *
     * @param built the outcome of each element's property conditions at build time, by element
     * @param environment the application's environment, complete with command-line arguments
     * @param beanFactory the application's bean factory, before any bean is created
     * @throws BuildTimeConditionException if an outcome differs
     */
    static void verify(Map<String, Boolean> built, Environment environment, DefaultListableBeanFactory beanFactory) {
        ClassLoader classLoader = classLoader(beanFactory.getBeanClassLoader());
        Context context = new Context(beanFactory, beanFactory, environment, classLoader);
        List<BuildTimeConditionException.Change> changes = new ArrayList<>();
        built.forEach((element, matchedAtBuild) -> {
            ConditionOutcome now = evaluate(runTimeMetadata(element, classLoader), context);
            if (now.isMatch() != matchedAtBuild) {
                changes.add(
                        new BuildTimeConditionException.Change(describe(element), matchedAtBuild, now.getMessage()));
            }
        });
        if (!changes.isEmpty()) {
            throw new BuildTimeConditionException(changes);
        }
    }

    /**
     * Evaluates the property conditions of every auto-configuration whose classes are present,
     * and of their {@code @Bean} methods, reading class files rather than loading classes.
     */
    static Map<String, Boolean> atBuildTime(List<String> autoConfigurations, ConditionContext context) {
        MetadataReaderFactory readers = new SimpleMetadataReaderFactory(context.getClassLoader());
        Map<String, Boolean> outcomes = new LinkedHashMap<>();
        for (String name : autoConfigurations) {
            AnnotationMetadata metadata;
            try {
                metadata = readers.getMetadataReader(name).getAnnotationMetadata();
            } catch (IOException ex) {
                throw new UncheckedIOException("Cannot read the class file of " + name + " during AOT processing", ex);
            }
            if (!classesPresent(metadata, context)) {
                continue;
            }
            record(name, metadata, context, outcomes);
            for (MethodMetadata method : metadata.getAnnotatedMethods(Bean.class.getName())) {
                record(name + METHOD_SEPARATOR + method.getMethodName(), method, context, outcomes);
            }
        }
        return outcomes;
    }

    /**
     * Returns Interlock's auto-configurations listed in {@code META-INF/spring/*.imports} files.
     *
     * @param classLoader where to look
     * @return the class names
     */
    static List<String> autoConfigurations(ClassLoader classLoader) {
        List<String> names = new ArrayList<>();
        for (String candidate : ImportCandidates.load(AutoConfiguration.class, classLoader)) {
            if (candidate.startsWith(INTERLOCK_PACKAGE)) {
                names.add(candidate);
            }
        }
        return names;
    }

    private static void record(
            String element, AnnotatedTypeMetadata metadata, ConditionContext context, Map<String, Boolean> outcomes) {
        if (!propertyConditions(metadata).isEmpty()) {
            outcomes.put(element, evaluate(metadata, context).isMatch());
        }
    }

    /** Evaluates an element's property conditions; they match when all of them do. */
    private static ConditionOutcome evaluate(AnnotatedTypeMetadata metadata, ConditionContext context) {
        List<String> messages = new ArrayList<>();
        for (String condition : propertyConditions(metadata)) {
            ConditionOutcome outcome = outcome(condition, metadata, context);
            if (!outcome.isMatch()) {
                return outcome;
            }
            messages.add(outcome.getMessage());
        }
        return ConditionOutcome.match(String.join("; ", messages));
    }

    private static boolean classesPresent(AnnotatedTypeMetadata metadata, ConditionContext context) {
        return conditions(metadata).stream()
                .filter(CLASS_CONDITION::equals)
                .allMatch(condition -> outcome(condition, metadata, context).isMatch());
    }

    private static List<String> propertyConditions(AnnotatedTypeMetadata metadata) {
        return conditions(metadata).stream()
                .filter(condition -> PROPERTY_CONDITIONS.contains(condition) || condition.startsWith(INTERLOCK_PACKAGE))
                .toList();
    }

    private static List<String> conditions(AnnotatedTypeMetadata metadata) {
        MultiValueMap<String, @Nullable Object> attributes =
                metadata.getAllAnnotationAttributes(Conditional.class.getName(), true);
        List<String> conditions = new ArrayList<>();
        if (attributes != null) {
            for (Object value : attributes.getOrDefault("value", List.of())) {
                for (String condition : (String[]) value) {
                    conditions.add(condition);
                }
            }
        }
        return conditions;
    }

    private static ConditionOutcome outcome(
            String conditionClass, AnnotatedTypeMetadata metadata, ConditionContext context) {
        Condition condition = (Condition)
                BeanUtils.instantiateClass(ClassUtils.resolveClassName(conditionClass, context.getClassLoader()));
        if (condition instanceof SpringBootCondition bootCondition) {
            return bootCondition.getMatchOutcome(context, metadata);
        }
        boolean matches = condition.matches(context, metadata);
        return new ConditionOutcome(matches, conditionClass + (matches ? " matched" : " did not match"));
    }

    /** Reads an element by reflection at run time, where class files may be absent (native image). */
    private static AnnotatedTypeMetadata runTimeMetadata(String element, ClassLoader classLoader) {
        int separator = element.indexOf(METHOD_SEPARATOR);
        String className = (separator < 0) ? element : element.substring(0, separator);
        AnnotationMetadata type = AnnotationMetadata.introspect(ClassUtils.resolveClassName(className, classLoader));
        if (separator < 0) {
            return type;
        }
        String methodName = element.substring(separator + 1);
        return type.getAnnotatedMethods(Bean.class.getName()).stream()
                .filter(method -> method.getMethodName().equals(methodName))
                .findFirst()
                .orElseThrow(() -> new IllegalStateException("The build recorded the @Bean method " + element
                        + ", which this class no longer has: the application was not rebuilt with AOT processing"
                        + " after Interlock changed. Rebuild it."));
    }

    /** Describes an element for people: a class's simple name, or {@code Class.method()}. */
    static String describe(String element) {
        int separator = element.indexOf(METHOD_SEPARATOR);
        String className = (separator < 0) ? element : element.substring(0, separator);
        String simple = ClassUtils.getShortName(className);
        return (separator < 0) ? simple : simple + "." + element.substring(separator + 1) + "()";
    }

    private static ClassLoader classLoader(@Nullable ClassLoader classLoader) {
        return (classLoader != null) ? classLoader : ClassUtils.getDefaultClassLoader();
    }

    /** The context the conditions see, at build time and at run time. */
    record Context(
            BeanDefinitionRegistry registry,
            ConfigurableListableBeanFactory factory,
            Environment environment,
            ClassLoader loader)
            implements ConditionContext {

        @Override
        public BeanDefinitionRegistry getRegistry() {
            return registry;
        }

        @Override
        public ConfigurableListableBeanFactory getBeanFactory() {
            return factory;
        }

        @Override
        public Environment getEnvironment() {
            return environment;
        }

        @Override
        public ResourceLoader getResourceLoader() {
            return new DefaultResourceLoader(loader);
        }

        @Override
        public ClassLoader getClassLoader() {
            return loader;
        }
    }
}
