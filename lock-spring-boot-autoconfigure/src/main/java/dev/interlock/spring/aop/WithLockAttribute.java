package dev.interlock.spring.aop;

import dev.interlock.spring.LockTemplate;
import dev.interlock.spring.WithLock;
import dev.interlock.spring.WithLock.OnTimeout;
import java.lang.reflect.Array;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;
import java.util.concurrent.Future;
import org.jspecify.annotations.Nullable;
import org.springframework.aop.support.AopUtils;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.config.ConfigurableBeanFactory;
import org.springframework.boot.convert.DurationStyle;
import org.springframework.context.expression.BeanFactoryResolver;
import org.springframework.context.expression.MethodBasedEvaluationContext;
import org.springframework.core.DefaultParameterNameDiscoverer;
import org.springframework.core.ParameterNameDiscoverer;
import org.springframework.core.ResolvableType;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.expression.Expression;
import org.springframework.expression.ExpressionException;
import org.springframework.expression.spel.SpelNode;
import org.springframework.expression.spel.ast.VariableReference;
import org.springframework.expression.spel.standard.SpelExpression;
import org.springframework.expression.spel.standard.SpelExpressionParser;
import org.springframework.util.ClassUtils;
import org.springframework.util.ReflectionUtils;

/**
 * One method's {@link WithLock @WithLock}, parsed and checked once (at startup, by {@link
 * WithLockMethodValidator}, or at the first call): the expression, the timeout, the behaviour on
 * timeout and how to find the lock for a call.
 *
 * <p>The literal-versus-expression rule, applied here and nowhere else: after {@code ${...}}
 * placeholders are resolved, a {@code name} containing {@code #}, {@code '} or {@code @} is SpEL,
 * any other {@code name} is literal; an {@code id} is always SpEL.
 *
 * @author Interlock team
 */
final class WithLockAttribute {

    private static final SpelExpressionParser parser = new SpelExpressionParser();

    private static final ParameterNameDiscoverer parameterNames = new DefaultParameterNameDiscoverer();

    private static final @Nullable Class<?> reactivePublisher = ClassUtils.isPresent(
                    "org.reactivestreams.Publisher", WithLockAttribute.class.getClassLoader())
            ? ClassUtils.resolveClassName("org.reactivestreams.Publisher", WithLockAttribute.class.getClassLoader())
            : null;

    private final Method method;

    private final String expressionText;

    /** The name after placeholders were resolved: the lock name itself when {@link #expression} is null. */
    private final String resolvedText;

    private final boolean byName;

    /** The parsed expression, or {@code null} for a literal name. */
    private final @Nullable Expression expression;

    private final @Nullable Duration timeout;

    private final OnTimeout onTimeout;

    private final @Nullable BeanFactory beanFactory;

    /** The annotation and the method, such as {@code @WithLock(id = "#c.lockId") on example.Service.start()}. */
    private final String where;

    private WithLockAttribute(
            Method method,
            String expressionText,
            String resolvedText,
            boolean byName,
            @Nullable Expression expression,
            @Nullable Duration timeout,
            OnTimeout onTimeout,
            @Nullable BeanFactory beanFactory,
            String where) {
        this.method = method;
        this.expressionText = expressionText;
        this.resolvedText = resolvedText;
        this.byName = byName;
        this.expression = expression;
        this.timeout = timeout;
        this.onTimeout = onTimeout;
        this.beanFactory = beanFactory;
        this.where = where;
    }

    /**
     * Finds the annotation that applies to {@code method} when called on {@code targetClass}: the
     * method's own (also from an interface or superclass it overrides), else its type's for a
     * public method that does not come from {@code Object}.
     */
    static @Nullable WithLock findAnnotation(Method method, Class<?> targetClass) {
        Method specific = AopUtils.getMostSpecificMethod(method, targetClass);
        WithLock annotation = AnnotatedElementUtils.findMergedAnnotation(specific, WithLock.class);
        if (annotation != null) {
            return annotation;
        }
        if (!Modifier.isPublic(specific.getModifiers()) || ReflectionUtils.isObjectMethod(specific)) {
            return null;
        }
        return AnnotatedElementUtils.findMergedAnnotation(targetClass, WithLock.class);
    }

    /**
     * Parses and checks the annotation that applies to {@code method}.
     *
     * @param beanFactory resolves {@code ${...}} placeholders and {@code @bean} references; may be
     *     {@code null} outside a container
     * @throws IllegalStateException if the annotation names no lock or two, its expression or
     *     timeout does not parse, it refers to a parameter the method does not have, or the
     *     method's return type cannot be protected
     */
    static WithLockAttribute parse(Method method, Class<?> targetClass, @Nullable BeanFactory beanFactory) {
        Method specific = AopUtils.getMostSpecificMethod(method, targetClass);
        String on = " on " + targetClass.getName() + "." + specific.getName() + "()";
        String where = "@WithLock" + on;
        WithLock annotation = findAnnotation(method, targetClass);
        if (annotation == null) {
            throw new IllegalStateException(where + " was advised but carries no @WithLock; this is a bug");
        }
        boolean hasName = !annotation.name().isBlank();
        boolean hasId = !annotation.id().isBlank();
        if (hasName == hasId) {
            throw new IllegalStateException(where + (hasName ? " sets both name and id" : " sets neither name nor id")
                    + "; set exactly one: name = \"'invoice-' + #invoice.id\" for a named lock, or"
                    + " id = \"#container.lockId\" for a lock ID");
        }
        String written = hasName ? annotation.name() : annotation.id();
        String text = resolvePlaceholders(written, beanFactory, where);
        boolean literal = hasName && text.indexOf('#') < 0 && text.indexOf('\'') < 0 && text.indexOf('@') < 0;
        Expression expression = literal ? null : parseExpression(text, where);
        String annotated = "@WithLock(" + (hasName ? "name" : "id") + " = \"" + written + "\")" + on;
        if (expression != null) {
            checkVariables(expression, specific, annotated);
        }
        Duration timeout = parseTimeout(resolvePlaceholders(annotation.timeout(), beanFactory, where), where);
        checkReturnType(specific, annotation.onTimeout(), timeout, annotated);
        return new WithLockAttribute(
                specific, written, text, hasName, expression, timeout, annotation.onTimeout(), beanFactory, annotated);
    }

    private static String resolvePlaceholders(String text, @Nullable BeanFactory beanFactory, String where) {
        if (!(beanFactory instanceof ConfigurableBeanFactory configurable) || !text.contains("${")) {
            return text;
        }
        try {
            String resolved = configurable.resolveEmbeddedValue(text);
            return resolved != null ? resolved : text;
        } catch (IllegalArgumentException ex) {
            throw new IllegalStateException(
                    where + " has a placeholder in \"" + text + "\" that cannot be resolved: " + ex.getMessage()
                            + "; define the property or give a default with ${name:default}",
                    ex);
        }
    }

    private static Expression parseExpression(String text, String where) {
        try {
            return parser.parseExpression(text);
        } catch (ExpressionException ex) {
            throw new IllegalStateException(
                    where + " has an invalid SpEL expression \"" + text + "\": " + ex.getMessage(), ex);
        }
    }

    /**
     * Checks that every {@code #variable} of the expression is one the call will define: a
     * parameter name, {@code #p<i>} or {@code #a<i>} for an existing position, {@code #root} or
     * {@code #this}.
     */
    private static void checkVariables(Expression expression, Method method, String where) {
        if (!(expression instanceof SpelExpression spel)) {
            return;
        }
        Set<String> known = new HashSet<>(List.of("root", "this"));
        String[] names = parameterNames.getParameterNames(method);
        for (int i = 0; i < method.getParameterCount(); i++) {
            known.add("p" + i);
            known.add("a" + i);
            if (names != null) {
                known.add(names[i]);
            }
        }
        List<String> unknown = new ArrayList<>();
        collectVariables(spel.getAST(), known, unknown);
        if (!unknown.isEmpty()) {
            throw new IllegalStateException(where + " refers to " + String.join(", ", unknown)
                    + ", which the method does not define; it can use "
                    + (names != null ? "#" + String.join(", #", names) + ", " : "")
                    + "#p0 .. #p" + Math.max(0, method.getParameterCount() - 1)
                    + (names == null ? " (compile with -parameters to use parameter names)" : ""));
        }
    }

    private static void collectVariables(SpelNode node, Set<String> known, List<String> unknown) {
        if (node instanceof VariableReference) {
            String variable = node.toStringAST().substring(1);
            if (!known.contains(variable)) {
                unknown.add("#" + variable);
            }
        }
        for (int i = 0; i < node.getChildCount(); i++) {
            collectVariables(node.getChild(i), known, unknown);
        }
    }

    private static void checkReturnType(Method method, OnTimeout onTimeout, @Nullable Duration timeout, String where) {
        Class<?> type = method.getReturnType();
        boolean stage = CompletionStage.class.isAssignableFrom(type);
        if (!stage && Future.class.isAssignableFrom(type)) {
            throw new IllegalStateException(where + " returns " + type.getName()
                    + ", whose completion cannot be observed, so the lock would be released before the work ends;"
                    + " return a CompletableFuture or CompletionStage (held until it completes), or lock inside the"
                    + " asynchronous work");
        }
        if (Flow.Publisher.class.isAssignableFrom(type)
                || (reactivePublisher != null && reactivePublisher.isAssignableFrom(type))) {
            throw new IllegalStateException(where + " returns the reactive type " + type.getName()
                    + ", which @WithLock cannot hold a lock for (the work runs when subscribed, after the method"
                    + " returned); return a CompletableFuture (e.g. mono.toFuture()), or lock inside the pipeline"
                    + " with LockTemplate");
        }
        if (onTimeout == OnTimeout.SKIP) {
            if (timeout == null) {
                throw new IllegalStateException(where + " sets onTimeout = SKIP without a timeout, so it would wait"
                        + " instead of skipping; set timeout = \"0\" to skip when the lock is held, or a longer one");
            }
            if (type.isPrimitive() && type != void.class) {
                throw new IllegalStateException(where + " sets onTimeout = SKIP but returns " + type.getName()
                        + ", which has no empty value for a skipped call; return void, a wrapper, Optional or a"
                        + " collection, or use onTimeout = THROW");
            }
        }
    }

    private static @Nullable Duration parseTimeout(String text, String where) {
        if (text.isBlank()) {
            return null;
        }
        Duration timeout;
        try {
            timeout = DurationStyle.detectAndParse(text.strip());
        } catch (IllegalArgumentException ex) {
            throw new IllegalStateException(
                    where + " has an invalid timeout \"" + text
                            + "\"; write it like \"5s\", \"200ms\" or \"PT1M\", or leave it empty to wait indefinitely",
                    ex);
        }
        if (timeout.isNegative()) {
            throw new IllegalStateException(where + " has a negative timeout \"" + text
                    + "\"; use zero to try once without waiting, or leave it empty to wait indefinitely");
        }
        return timeout;
    }

    /**
     * Returns the result of a call skipped with {@link OnTimeout#SKIP}: an empty value of the
     * method's return type.
     *
     * @return the empty value
     */
    @Nullable
    Object skippedResult() {
        Class<?> type = method.getReturnType();
        if (CompletionStage.class.isAssignableFrom(type)) {
            Class<?> value = ResolvableType.forMethodReturnType(method)
                    .as(CompletionStage.class)
                    .getGeneric(0)
                    .resolve(Object.class);
            return CompletableFuture.completedFuture(emptyValue(value));
        }
        return emptyValue(type);
    }

    private static @Nullable Object emptyValue(Class<?> type) {
        if (type == Optional.class) {
            return Optional.empty();
        }
        if (type.isArray()) {
            return Array.newInstance(type.getComponentType(), 0);
        }
        if (type.isAssignableFrom(ArrayList.class)) {
            return new ArrayList<>();
        }
        if (type.isAssignableFrom(TreeSet.class) && SortedSet.class.isAssignableFrom(type)) {
            return new TreeSet<>();
        }
        if (type.isAssignableFrom(HashSet.class)) {
            return new HashSet<>();
        }
        if (type.isAssignableFrom(TreeMap.class) && SortedMap.class.isAssignableFrom(type)) {
            return new TreeMap<>();
        }
        if (Map.class.isAssignableFrom(type) && type.isAssignableFrom(java.util.LinkedHashMap.class)) {
            return new java.util.LinkedHashMap<>();
        }
        if (Collection.class.isAssignableFrom(type) && type.isInterface()) {
            return new ArrayList<>();
        }
        return null;
    }

    /**
     * Evaluates the expression for one call and returns the lock request it names.
     *
     * @param template the template that takes the lock
     * @param target the bean the method is called on
     * @param arguments the call's arguments
     * @return the request and its description
     * @throws IllegalStateException if the expression fails or gives no usable name or ID
     */
    ResolvedLock resolve(LockTemplate template, @Nullable Object target, @Nullable Object[] arguments) {
        if (expression == null) {
            return resolved(template.name(resolvedText), "'" + resolvedText + "'");
        }
        MethodBasedEvaluationContext context =
                new MethodBasedEvaluationContext(target, method, arguments, parameterNames);
        if (beanFactory != null) {
            context.setBeanResolver(new BeanFactoryResolver(beanFactory));
        }
        Object value;
        try {
            value = expression.getValue(context);
        } catch (ExpressionException ex) {
            throw new IllegalStateException(where + " could not be evaluated: " + ex.getMessage(), ex);
        }
        if (value == null) {
            throw new IllegalStateException(
                    where + " evaluated to null; it must give a lock " + (byName ? "name" : "ID") + " for every call");
        }
        if (byName) {
            String name = value.toString();
            return resolved(template.name(name), "'" + name + "'");
        }
        if (!(value instanceof Number number) || number.doubleValue() != number.intValue()) {
            throw new IllegalStateException(where + " evaluated to " + value + " ("
                    + value.getClass().getName() + "), which is not an int lock ID");
        }
        return resolved(template.id(number.intValue()), String.valueOf(number.intValue()));
    }

    private ResolvedLock resolved(LockTemplate.Request request, String lock) {
        return new ResolvedLock(
                request.timeout(timeout).onTimeout(onTimeout).tag(expressionText), "lock " + lock + " of " + where);
    }

    /**
     * The lock one call resolved to.
     *
     * @param request the template request
     * @param description the lock and the annotated method, for messages
     */
    record ResolvedLock(LockTemplate.Request request, String description) {}
}
