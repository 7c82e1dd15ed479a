package dev.interlock.spring.aot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.Mockito.mock;

import dev.interlock.spring.WithLock;
import org.junit.jupiter.api.Test;
import org.springframework.aot.generate.ClassNameGenerator;
import org.springframework.aot.generate.DefaultGenerationContext;
import org.springframework.aot.generate.InMemoryGeneratedFiles;
import org.springframework.aot.hint.MemberCategory;
import org.springframework.aot.hint.RuntimeHints;
import org.springframework.aot.hint.predicate.RuntimeHintsPredicates;
import org.springframework.beans.factory.aot.BeanRegistrationAotContribution;
import org.springframework.beans.factory.aot.BeanRegistrationCode;
import org.springframework.beans.factory.support.DefaultListableBeanFactory;
import org.springframework.beans.factory.support.RegisteredBean;
import org.springframework.beans.factory.support.RootBeanDefinition;
import org.springframework.javapoet.ClassName;

/**
 * Tests for {@link WithLockBeanRegistrationAotProcessor}, with Spring's {@link
 * RuntimeHintsPredicates}.
 *
 * @author Interlock team
 */
class WithLockBeanRegistrationAotProcessorTests {

    private final DefaultListableBeanFactory beanFactory = new DefaultListableBeanFactory();

    private final DefaultGenerationContext generationContext = new DefaultGenerationContext(
            new ClassNameGenerator(ClassName.get("com.example", "Test")), new InMemoryGeneratedFiles());

    @Test
    void methodsWithLockShouldBeRegisteredForInvocationWithTheirParameterNames() throws NoSuchMethodException {
        RuntimeHints hints = process(Invoices.class);

        assertThat(RuntimeHintsPredicates.reflection().onMethodInvocation(Invoices.class.getMethod("pay", long.class)))
                .accepts(hints);
        assertThat(RuntimeHintsPredicates.reflection().onMethodInvocation(Invoices.class, "report"))
                .accepts(hints);
        assertThat(RuntimeHintsPredicates.reflection().onMethodInvocation(Invoices.class, "unlocked"))
                .rejects(hints);
    }

    @Test
    void typeWithLockShouldHaveItsPublicMethodsRegistered() {
        RuntimeHints hints = process(LockedService.class);

        assertThat(RuntimeHintsPredicates.reflection()
                        .onType(LockedService.class)
                        .withMemberCategory(MemberCategory.INVOKE_PUBLIC_METHODS))
                .accepts(hints);
        assertThat(RuntimeHintsPredicates.reflection().onMethodInvocation(LockedService.class, "run"))
                .accepts(hints);
    }

    @Test
    void beanWithoutWithLockShouldGetNoContribution() {
        beanFactory.registerBeanDefinition("plain", new RootBeanDefinition(Plain.class));

        assertThat(new WithLockBeanRegistrationAotProcessor()
                        .processAheadOfTime(RegisteredBean.of(beanFactory, "plain")))
                .isNull();
    }

    private RuntimeHints process(Class<?> type) {
        beanFactory.registerBeanDefinition("bean", new RootBeanDefinition(type));
        BeanRegistrationAotContribution contribution =
                new WithLockBeanRegistrationAotProcessor().processAheadOfTime(RegisteredBean.of(beanFactory, "bean"));
        assertThat(contribution).as("contribution for %s", type.getSimpleName()).isNotNull();
        contribution.applyTo(generationContext, mock(BeanRegistrationCode.class));
        return generationContext.getRuntimeHints();
    }

    static class Invoices {

        @WithLock(name = "'invoice-' + #id")
        public void pay(long id) {}

        @WithLock(name = "nightly-report")
        public void report() {}

        public void unlocked() {}
    }

    @WithLock(name = "service")
    static class LockedService {

        public void run() {}
    }

    static class Plain {

        public void run() {}
    }
}
