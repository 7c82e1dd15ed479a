package dev.interlock.spring.aot;

import dev.interlock.spring.WithLock;
import dev.interlock.spring.autoconfigure.InterlockProperties;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.springframework.aot.hint.MemberCategory;
import org.springframework.aot.hint.RuntimeHints;
import org.springframework.aot.hint.RuntimeHintsRegistrar;
import org.springframework.aot.hint.TypeReference;
import org.springframework.boot.context.properties.bind.BindableRuntimeHintsRegistrar;

/**
 * {@link RuntimeHintsRegistrar} for what Interlock reaches by reflection, JNI or resource lookup,
 * so that a native image can run it: binding of {@link InterlockProperties}, the {@link WithLock}
 * annotation, JNA's native access for the shared-memory and file backends, and what the startup
 * check of {@link BuildTimeConditions} reads. The methods that
 * carry {@code @WithLock} get their hints from {@link WithLockBeanRegistrationAotProcessor}.
 *
 * <p>JNA binds the backends' {@code native} methods with {@code Native.register}, which reads the
 * declaring class's methods by reflection and registers them through JNI; its native dispatch
 * library then calls back into JNA's own classes through JNI, and is loaded from a resource of the
 * JNA jar. Neither backend passes a JNA {@code Structure}: {@code fcntl}'s {@code struct flock} is
 * a {@code long[]}, so no structure needs field hints.
 *
 * @author Interlock team
 * @since 0.1.0
 */
public final class InterlockRuntimeHints implements RuntimeHintsRegistrar {

    /** The classes of lock-core whose {@code native} methods JNA registers (direct mapping). */
    static final List<String> DIRECT_MAPPED_CLASSES =
            List.of("dev.interlock.shm.NativeCalls", "dev.interlock.file.Libc$Calls");

    /** JNA classes that its native dispatch library looks up and calls through JNI. */
    static final List<String> JNA_JNI_CLASSES = List.of(
            "com.sun.jna.Callback",
            "com.sun.jna.CallbackReference",
            "com.sun.jna.CallbackReference$AttachOptions",
            "com.sun.jna.FromNativeConverter",
            "com.sun.jna.IntegerType",
            "com.sun.jna.JNIEnv",
            "com.sun.jna.LastErrorException",
            "com.sun.jna.Native",
            "com.sun.jna.Native$ffi_callback",
            "com.sun.jna.NativeMapped",
            "com.sun.jna.Pointer",
            "com.sun.jna.PointerType",
            "com.sun.jna.Structure",
            "com.sun.jna.Structure$ByValue",
            "com.sun.jna.Structure$FFIType",
            "com.sun.jna.Structure$FFIType$FFITypes",
            "com.sun.jna.WString");

    /** The JNA dispatch libraries of the platforms the backends support, loaded as resources. */
    static final List<String> JNA_DISPATCH_LIBRARIES =
            List.of("com/sun/jna/linux-x86-64/libjnidispatch.so", "com/sun/jna/linux-aarch64/libjnidispatch.so");

    /** Creates the registrar; Spring instantiates it. */
    public InterlockRuntimeHints() {}

    @Override
    public void registerHints(RuntimeHints hints, @Nullable ClassLoader classLoader) {
        BindableRuntimeHintsRegistrar.forTypes(InterlockProperties.class).registerHints(hints, classLoader);
        hints.reflection().registerType(WithLock.class, MemberCategory.INVOKE_PUBLIC_METHODS);
        for (String type : DIRECT_MAPPED_CLASSES) {
            TypeReference reference = TypeReference.of(type);
            hints.reflection()
                    .registerType(
                            reference, MemberCategory.INVOKE_DECLARED_METHODS, MemberCategory.ACCESS_DECLARED_FIELDS);
            hints.jni().registerType(reference, MemberCategory.INVOKE_DECLARED_METHODS);
        }
        for (String type : JNA_JNI_CLASSES) {
            hints.jni()
                    .registerType(
                            TypeReference.of(type),
                            MemberCategory.INVOKE_DECLARED_CONSTRUCTORS,
                            MemberCategory.INVOKE_DECLARED_METHODS,
                            MemberCategory.ACCESS_DECLARED_FIELDS);
        }
        JNA_DISPATCH_LIBRARIES.forEach(hints.resources()::registerPattern);
        // The startup check of BuildTimeConditions reads these by reflection under AOT.
        ClassLoader loader = (classLoader != null) ? classLoader : InterlockRuntimeHints.class.getClassLoader();
        for (String autoConfiguration : BuildTimeConditions.autoConfigurations(loader)) {
            hints.reflection()
                    .registerType(TypeReference.of(autoConfiguration), MemberCategory.INTROSPECT_DECLARED_METHODS);
        }
        for (String condition : BuildTimeConditions.PROPERTY_CONDITIONS) {
            hints.reflection().registerType(TypeReference.of(condition), MemberCategory.INVOKE_DECLARED_CONSTRUCTORS);
        }
    }
}
