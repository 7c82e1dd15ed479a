package dev.interlock.spring.aop;

import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.BeanFactoryAware;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.util.ClassUtils;
import org.springframework.util.ReflectionUtils;

/**
 * Parses and checks every {@link dev.interlock.spring.WithLock @WithLock} method of every bean
 * when the application context has created its singletons, so that a mistake (a bad expression, a
 * parameter the method does not have, an unresolvable placeholder, a return type whose completion
 * cannot be observed) fails the start, not a call at 03:00. All problems are reported at once,
 * each naming its method.
 *
 * @author Interlock team
 * @since 0.2.0
 */
public final class WithLockMethodValidator implements SmartInitializingSingleton, BeanFactoryAware {

    private @Nullable BeanFactory beanFactory;

    /** Creates the validator; the container supplies the bean factory. */
    public WithLockMethodValidator() {}

    @Override
    public void setBeanFactory(BeanFactory beanFactory) {
        this.beanFactory = beanFactory;
    }

    @Override
    public void afterSingletonsInstantiated() {
        if (!(beanFactory instanceof ListableBeanFactory listable)) {
            return;
        }
        Set<Class<?>> types = new LinkedHashSet<>();
        for (String name : listable.getBeanDefinitionNames()) {
            Class<?> type = listable.getType(name, false);
            if (type != null) {
                types.add(ClassUtils.getUserClass(type));
            }
        }
        List<String> problems = new ArrayList<>();
        int checked = 0;
        for (Class<?> type : types) {
            for (Method method :
                    ReflectionUtils.getUniqueDeclaredMethods(type, ReflectionUtils.USER_DECLARED_METHODS)) {
                if (WithLockAttribute.findAnnotation(method, type) == null) {
                    continue;
                }
                checked++;
                try {
                    WithLockAttribute.parse(method, type, beanFactory);
                } catch (IllegalStateException ex) {
                    problems.add(ex.getMessage());
                }
            }
        }
        if (!problems.isEmpty()) {
            throw new InvalidWithLockException(problems, checked);
        }
    }

    /**
     * Thrown at startup when {@link dev.interlock.spring.WithLock @WithLock} methods are invalid;
     * its message lists every problem with its method.
     *
     * @author Interlock team
     * @since 0.2.0
     */
    public static final class InvalidWithLockException extends IllegalStateException {

        private static final long serialVersionUID = 1L;

        /** One message per invalid method, each naming it. */
        private final List<String> problems;

        InvalidWithLockException(List<String> problems, int checked) {
            super(problems.size() + " of " + checked + " @WithLock methods are invalid; fix them, the application"
                    + " will not start otherwise:\n  - " + String.join("\n  - ", problems));
            this.problems = List.copyOf(problems);
        }

        /**
         * Returns one message per invalid method.
         *
         * @return the problems
         */
        public List<String> problems() {
            return problems;
        }
    }
}
