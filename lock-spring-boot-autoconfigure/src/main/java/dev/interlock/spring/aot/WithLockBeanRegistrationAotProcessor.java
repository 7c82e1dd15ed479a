package dev.interlock.spring.aot;

import dev.interlock.spring.WithLock;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.springframework.aot.hint.ExecutableMode;
import org.springframework.aot.hint.MemberCategory;
import org.springframework.aot.hint.RuntimeHints;
import org.springframework.beans.factory.aot.BeanRegistrationAotContribution;
import org.springframework.beans.factory.aot.BeanRegistrationAotProcessor;
import org.springframework.beans.factory.support.RegisteredBean;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.util.ClassUtils;
import org.springframework.util.ReflectionUtils;

/**
 * Registers reflection hints for every bean whose class uses {@link WithLock @WithLock}: the
 * advisor reads the annotation from the method (or its type) at run time, and the SpEL expression
 * of {@code name} or {@code id} refers to the method's arguments by their parameter names, which
 * a native image keeps only for methods registered for reflection. Hints for the arguments' own
 * types, which an expression such as {@code #invoice.id} reads by reflection, are the
 * application's to register (for example with {@code @RegisterReflectionForBinding}).
 *
 * @author Interlock team
 */
final class WithLockBeanRegistrationAotProcessor implements BeanRegistrationAotProcessor {

    @Override
    public @Nullable BeanRegistrationAotContribution processAheadOfTime(RegisteredBean registeredBean) {
        Class<?> type = ClassUtils.getUserClass(registeredBean.getBeanClass());
        boolean onType = AnnotatedElementUtils.hasAnnotation(type, WithLock.class);
        List<Method> methods = annotatedMethods(type);
        if (!onType && methods.isEmpty()) {
            return null;
        }
        return (generationContext, code) -> register(generationContext.getRuntimeHints(), type, onType, methods);
    }

    /**
     * Registers the hints for one bean class.
     *
     * @param hints where the hints go
     * @param type the bean's class
     * @param onType whether the class itself carries {@code @WithLock}, which applies to every
     *     public method
     * @param methods the methods that carry {@code @WithLock}
     */
    static void register(RuntimeHints hints, Class<?> type, boolean onType, List<Method> methods) {
        if (onType) {
            hints.reflection().registerType(type, MemberCategory.INVOKE_PUBLIC_METHODS);
        }
        for (Method method : methods) {
            hints.reflection().registerMethod(method, ExecutableMode.INVOKE);
        }
    }

    /** Returns the methods of the class, its superclasses and interfaces that carry {@code @WithLock}. */
    static List<Method> annotatedMethods(Class<?> type) {
        List<Method> methods = new ArrayList<>();
        ReflectionUtils.doWithMethods(
                type,
                methods::add,
                method -> !method.isSynthetic() && AnnotatedElementUtils.hasAnnotation(method, WithLock.class));
        for (Class<?> face : ClassUtils.getAllInterfacesForClassAsSet(type)) {
            ReflectionUtils.doWithMethods(
                    face, methods::add, method -> AnnotatedElementUtils.hasAnnotation(method, WithLock.class));
        }
        return methods;
    }
}
