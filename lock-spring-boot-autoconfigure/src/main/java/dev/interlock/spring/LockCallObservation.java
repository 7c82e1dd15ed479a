package dev.interlock.spring;

import dev.interlock.LockTimeoutException;
import dev.interlock.spring.LockTemplate.LockCallback;
import io.micrometer.common.KeyValues;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationConvention;
import io.micrometer.observation.ObservationRegistry;
import java.util.Locale;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * One {@link LockTemplate} call, and so one {@link WithLock @WithLock} call, as a Micrometer
 * {@link Observation} named {@value #NAME}, from the start of the wait to the end of the protected
 * code (or the completion of its {@link CompletionStage}): tracing gets a span, and the registry's
 * handlers make the metrics (Boot's {@code DefaultMeterObservationHandler}: a timer {@value #NAME}
 * and a long task timer {@value #NAME}{@code .active}). Their names differ from the {@code
 * interlock.lock.*} meters that {@code MicrometerWithLockListener} keeps recording (wait, held,
 * holding, timeouts, skips), so nothing is counted twice.
 *
 * <p>Low-cardinality keys: {@code lock} (the request's {@linkplain LockTemplate.Request#tag() tag}:
 * for {@code @WithLock} the annotation's expression as written, never the evaluated name), {@code
 * class} and {@code method} (the annotated method's, or {@code LockTemplate} and the request method
 * called), and {@code outcome} ({@link Outcome}).
 *
 * @author Interlock team
 */
final class LockCallObservation extends Observation.Context {

    /** The observation's name. */
    static final String NAME = "interlock.lock.call";

    private static final ObservationConvention<LockCallObservation> CONVENTION = new Convention();

    private final String lock;

    private final Class<?> type;

    private final String method;

    /** Written by the calling thread, or by the thread that completes an asynchronous result. */
    private volatile Outcome outcome = Outcome.FAILED;

    private LockCallObservation(String lock, Class<?> type, String method) {
        this.lock = lock;
        this.type = type;
        this.method = method;
    }

    /** How an observed call ended, the {@code outcome} key. */
    enum Outcome {
        /** The lock was acquired (or already held by the thread) and the protected code returned. */
        SUCCESS,
        /** The lock was acquired and the code threw, or its stage completed exceptionally. */
        ERROR,
        /** The lock stayed held elsewhere and the call was skipped. */
        SKIPPED,
        /** The lock stayed held elsewhere and the call failed with {@link LockTimeoutException}. */
        TIMEOUT,
        /** Taking the lock failed (storage, interrupt, closed manager); the code did not run. */
        FAILED;

        String tag() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Runs a call under its lock, given the code to protect and a skipped call's result. */
    @FunctionalInterface
    interface LockedCall<T extends @Nullable Object, E extends Throwable> {
        T execute(LockCallback<T, E> action, Supplier<T> skipped) throws E;
    }

    /**
     * Runs {@code call} as an observation in {@code registry}, recording how it ended.
     *
     * @param lock the {@code lock} key: the request's tag
     * @param type the {@code class} key
     * @param method the {@code method} key
     * @param action the protected code
     * @param skipped the result of a skipped call
     */
    static <T extends @Nullable Object, E extends Throwable> T observe(
            ObservationRegistry registry,
            String lock,
            Class<?> type,
            String method,
            LockCallback<T, E> action,
            Supplier<T> skipped,
            LockedCall<T, E> call)
            throws E {
        LockCallObservation context = new LockCallObservation(lock, type, method);
        Observation observation = Observation.createNotStarted(CONVENTION, () -> context, registry)
                .start();
        boolean async = false;
        try (Observation.Scope scope = observation.openScope()) {
            T result = call.execute(
                    () -> {
                        // ERROR until the code returns: a throw from the code leaves it there.
                        context.outcome = Outcome.ERROR;
                        T value = action.call();
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
    private static final class Convention implements ObservationConvention<LockCallObservation> {

        @Override
        public String getName() {
            return NAME;
        }

        @Override
        public String getContextualName(LockCallObservation context) {
            return "with-lock " + context.type.getSimpleName() + "." + context.method;
        }

        @Override
        public KeyValues getLowCardinalityKeyValues(LockCallObservation context) {
            return KeyValues.of(
                    "lock",
                    context.lock,
                    "class",
                    context.type.getName(),
                    "method",
                    context.method,
                    "outcome",
                    context.outcome.tag());
        }

        @Override
        public boolean supportsContext(Observation.Context context) {
            return context instanceof LockCallObservation;
        }
    }
}
