package dev.interlock.support;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import org.jspecify.annotations.Nullable;

/**
 * Tells virtual threads apart while compiling for Java 17, where {@code Thread::isVirtual} does
 * not exist. Backends ask before sleeping in the kernel ({@code futex}): a virtual thread would
 * pin its carrier there, so it parks in the JVM instead.
 *
 * @author Interlock team
 */
public final class VirtualThreads {

    /** {@code Thread::isVirtual} on JDK 21+, or null on 17: compiled against 17, found at run time. */
    private static final @Nullable MethodHandle IS_VIRTUAL = findIsVirtual();

    private VirtualThreads() {}

    /**
     * Returns whether {@code thread} is a virtual thread; always {@code false} on a JDK without them.
     *
     * @param thread the thread to ask about
     * @return whether it is virtual
     */
    public static boolean isVirtual(Thread thread) {
        if (IS_VIRTUAL == null) {
            return false;
        }
        try {
            return (boolean) IS_VIRTUAL.invokeExact(thread);
        } catch (Throwable ex) {
            throw new IllegalStateException("Thread.isVirtual() failed", ex);
        }
    }

    private static @Nullable MethodHandle findIsVirtual() {
        try {
            return MethodHandles.publicLookup()
                    .findVirtual(Thread.class, "isVirtual", MethodType.methodType(boolean.class));
        } catch (NoSuchMethodException | IllegalAccessException ex) {
            return null;
        }
    }
}
