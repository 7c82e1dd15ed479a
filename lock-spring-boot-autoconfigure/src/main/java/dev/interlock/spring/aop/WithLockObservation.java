package dev.interlock.spring.aop;

import dev.interlock.LockTimeoutException;
import dev.interlock.spring.LockTemplate.LockCallback;
import io.micrometer.common.KeyValues;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationConvention;
import io.micrometer.observation.ObservationRegistry;
import java.lang.reflect.Method;
import java.util.Locale;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * One {@code @WithLock} call as a Micrometer {@link Observation} named {@value #NAME}, from the
 * start of the wait to the end of the method (or the completion of its {@link CompletionStage}):
 * tracing gets a span, and the registry's handlers make the metrics (Boot's {@code
 * DefaultMeterObservationHandler}: a timer {@value #NAME} and a long task timer {@value
 * #NAME}{@code .active}). Their names differ from the {@code interlock.lock.*} meters that {@code
 * MicrometerWithLockListener} keeps recording (wait, held, holding, timeouts, skips), so nothing
 * is counted twice.
 *
 * <p>Low-cardinality keys: {@code lock} (the annotation's expression as written, never the
 * evaluated name), {@code class}, {@code method} and {@code outcome} ({@link Outcome}).
 *
 * @author Interlock team
 */
final class WithLockObservation extends Observation.Context {

    /** The observation's name. */
    static final String NAME = "interlock.lock.call";

    private static final ObservationConvention<WithLockObservation> CONVENTION = new Convention();

    private final String lock;

    private final Class<?> targetClass;

    private final Method method;

    /** Written by the calling thread, or by the thread that completes an asynchronous result. */
    private volatile Outcome outcome = Outcome.FAILED;

    private WithLockObservation(String lock, Class<?> targetClass, Method method) {
        this.lock = lock;
        this.targetClass = targetClass;
        this.method = method;
    }

    /** How an observed call ended, the {@code outcome} key. */
    enum Outcome {
        /** The lock was acquired (or already held by the thread) and the method returned. */
        SUCCESS,
        /** The lock was acquired and the method threw, or its stage completed exceptionally. */
        ERROR,
        /** The lock stayed held elsewhere and the call was skipped. */
        SKIPPED,
        /** The lock stayed held elsewhere and the call failed with {@link LockTimeoutException}. */
        TIMEOUT,
        /** Taking the lock failed (storage, interrupt, closed manager); the method did not run. */
        FAILED;

        String tag() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Runs a {@code @WithLock} call under the lock, given the code to protect and a skipped call's result. */
    @FunctionalInterface
    interface LockedCall {
        @Nullable
        Object execute(LockCallback<@Nullable Object, Throwable> action, Supplier<@Nullable Object> skipped)
                throws Throwable;
    }

    /**
     * Runs {@code call} as an observation in {@code registry}, recording how it ended.
     *
     * @param lock the annotation's expression text
     * @param action the method call
     * @param skipped the result of a skipped call
     */
    static @Nullable Object observe(
            ObservationRegistry registry,
            String lock,
            Class<?> targetClass,
            Method method,
            LockCallback<@Nullable Object, Throwable> action,
            Supplier<@Nullable Object> skipped,
            LockedCall call)
            throws Throwable {
        WithLockObservation context = new WithLockObservation(lock, targetClass, method);
        Observation observation = Observation.createNotStarted(CONVENTION, () -> context, registry)
                .start();
        boolean async = false;
        try (Observation.Scope scope = observation.openScope()) {
            Object result = call.execute(
                    () -> {
                        // ERROR until the method returns: a throw from the method leaves it there.
                        context.outcome = Outcome.ERROR;
                        Object value = action.call();
                        context.outcome = Outcome.SUCCESS;
                        return value;
                    },
                    () -> {
                        context.outcome = Outcome.SKIPPED;
                        return skipped.get();
                    });
            if (context.outcome == Outcome.SUCCESS && result instanceof CompletionStage<?> stage) {
                async = true;
                stage.whenComplete((value, error) -> {
                    if (error != null) {
                        context.outcome = Outcome.ERROR;
                        observation.error(error);
                    }
                    observation.stop();
                });
            }
            return result;
        } catch (Throwable ex) {
            if (context.outcome == Outcome.FAILED && ex instanceof LockTimeoutException) {
                context.outcome = Outcome.TIMEOUT;
            }
            observation.error(ex);
            throw ex;
        } finally {
            if (!async) {
                observation.stop();
            }
        }
    }

    /** Names the observation and its keys. */
    private static final class Convention implements ObservationConvention<WithLockObservation> {

        @Override
        public String getName() {
            return NAME;
        }

        @Override
        public String getContextualName(WithLockObservation context) {
            return "with-lock " + context.targetClass.getSimpleName() + "." + context.method.getName();
        }

        @Override
        public KeyValues getLowCardinalityKeyValues(WithLockObservation context) {
            return KeyValues.of(
                    "lock", context.lock,
                    "class", context.targetClass.getName(),
                    "method", context.method.getName(),
                    "outcome", context.outcome.tag());
        }

        @Override
        public boolean supportsContext(Observation.Context context) {
            return context instanceof WithLockObservation;
        }
    }
}
