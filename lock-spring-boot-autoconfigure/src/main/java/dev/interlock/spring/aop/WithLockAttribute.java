package dev.interlock.spring.aop;

import dev.interlock.Locker;
import dev.interlock.Manager;
import dev.interlock.spring.WithLock;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.time.Duration;
import org.jspecify.annotations.Nullable;
import org.springframework.aop.support.AopUtils;
import org.springframework.boot.convert.DurationStyle;
import org.springframework.context.expression.MethodBasedEvaluationContext;
import org.springframework.core.DefaultParameterNameDiscoverer;
import org.springframework.core.ParameterNameDiscoverer;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.expression.EvaluationContext;
import org.springframework.expression.Expression;
import org.springframework.expression.ExpressionException;
import org.springframework.expression.spel.standard.SpelExpressionParser;
import org.springframework.util.ReflectionUtils;

/**
 * One method's {@link WithLock @WithLock}, parsed once: the expression, the timeout, and how to
 * find the lock for a call.
 *
 * @author Interlock team
 */
final class WithLockAttribute {

    private static final SpelExpressionParser parser = new SpelExpressionParser();

    private static final ParameterNameDiscoverer parameterNames = new DefaultParameterNameDiscoverer();

    private final Method method;

    private final String expressionText;

    private final boolean byName;

    /** The parsed expression, or {@code null} for a literal name. */
    private final @Nullable Expression expression;

    private final @Nullable Duration timeout;

    /** The annotation and the method, such as {@code @WithLock(id = "#c.lockId") on example.Service.start()}. */
    private final String where;

    private WithLockAttribute(
            Method method,
            String expressionText,
            boolean byName,
            @Nullable Expression expression,
            @Nullable Duration timeout,
            String where) {
        this.method = method;
        this.expressionText = expressionText;
        this.byName = byName;
        this.expression = expression;
        this.timeout = timeout;
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
     * Parses the annotation that applies to {@code method}.
     *
     * @throws IllegalStateException if the annotation names no lock or two, or its expression or
     *     timeout does not parse
     */
    static WithLockAttribute parse(Method method, Class<?> targetClass) {
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
        String text = hasName ? annotation.name() : annotation.id();
        boolean literal = hasName && text.indexOf('#') < 0 && text.indexOf('\'') < 0;
        Expression expression = literal ? null : parseExpression(text, where);
        String annotated = "@WithLock(" + (hasName ? "name" : "id") + " = \"" + text + "\")" + on;
        return new WithLockAttribute(
                specific, text, hasName, expression, parseTimeout(annotation.timeout(), where), annotated);
    }

    private static Expression parseExpression(String text, String where) {
        try {
            return parser.parseExpression(text);
        } catch (ExpressionException ex) {
            throw new IllegalStateException(
                    where + " has an invalid SpEL expression \"" + text + "\": " + ex.getMessage(), ex);
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
     * Returns the annotation's expression text, used as the metric tag.
     *
     * @return the name or ID expression as written
     */
    String expressionText() {
        return expressionText;
    }

    /**
     * Returns how long to wait for the lock.
     *
     * @return the timeout, or {@code null} to wait indefinitely
     */
    @Nullable
    Duration timeout() {
        return timeout;
    }

    /**
     * Evaluates the expression for one call and returns the lock it names.
     *
     * @param manager the manager to take the lock from
     * @param target the bean the method is called on
     * @param arguments the call's arguments
     * @return the lock, with the evaluated name for a named lock
     * @throws IllegalStateException if the expression fails or gives no usable name or ID
     */
    ResolvedLock resolve(Manager manager, @Nullable Object target, @Nullable Object[] arguments) {
        if (expression == null) {
            return new ResolvedLock(manager.namedLock(expressionText), expressionText);
        }
        EvaluationContext context = new MethodBasedEvaluationContext(target, method, arguments, parameterNames);
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
            return new ResolvedLock(manager.namedLock(name), name);
        }
        if (!(value instanceof Number number) || number.doubleValue() != number.intValue()) {
            throw new IllegalStateException(where + " evaluated to " + value + " ("
                    + value.getClass().getName() + "), which is not an int lock ID");
        }
        return new ResolvedLock(manager.retrieveLock(number.intValue()), null);
    }

    /**
     * Describes a resolved lock for messages, such as {@code lock 'invoice-42' (ID 3) of
     * @WithLock(name = "'invoice-' + #invoice.id") on example.InvoiceService.pay()}.
     *
     * @param lock the resolved lock
     * @return the description
     */
    String describe(ResolvedLock lock) {
        int id = lock.locker().id();
        return "lock " + (lock.name() != null ? "'" + lock.name() + "' (ID " + id + ")" : id) + " of " + where;
    }

    /**
     * The lock one call resolved to.
     *
     * @param locker the lock
     * @param name the evaluated name, or {@code null} for a lock chosen by ID
     */
    record ResolvedLock(Locker locker, @Nullable String name) {}
}
