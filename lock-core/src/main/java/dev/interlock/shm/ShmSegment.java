package dev.interlock.shm;

import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.invoke.VarHandle;
import java.lang.ref.Reference;
import java.lang.reflect.Field;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import org.jspecify.annotations.Nullable;

/**
 * A mapped segment and typed access to its words. The memory order is part of each method's name
 * and used in pairs: a {@code …Acquire} read pairs with a {@code …Release} write or a
 * compare-and-set (which is volatile) of the same word; {@code plain} accesses are only made while
 * holding the allocator lock (whose acquiring compare-and-set and releasing write order them) or
 * for diagnostics that tolerate stale values.
 *
 * <p>Atomic access goes through {@link MethodHandles#byteBufferViewVarHandle} views, which need
 * the accessed word to be aligned to its size: the mapping is page-aligned and every atomic word
 * sits at an aligned offset in {@link ShmLayout}, which {@link #ShmSegment} checks once.
 *
 * @author Interlock team
 */
final class ShmSegment {

    private static final VarHandle INT = MethodHandles.byteBufferViewVarHandle(int[].class, ByteOrder.nativeOrder());

    private static final VarHandle LONG = MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.nativeOrder());

    /**
     * {@code sun.misc.Unsafe.compareAndSwapInt(null, address, expected, value)}, for the
     * uncontended path ({@link #casUncontended}) where Unsafe's memory access is quiet ({@link
     * #unsafeMemoryAccessQuiet}: from JDK 24 its first use prints a warning unless the JVM allows
     * it, JEP 498). Null elsewhere, and the uncontended path takes the views. Why: a view checks
     * the buffer's bounds, alignment, read-only flag and scope at every access, reading the
     * buffer's fields after the previous compare-and-set's fence; on the three accesses of an
     * uncontended {@code lock()}+{@code unlock()} that cost 2.5 ns of 8.3 (issue 15). The handle checks its record's bounds once instead ({@link
     * #checkRecord}). A constant method handle, which the JIT inlines like the direct call, because
     * naming {@code sun.misc.Unsafe} in the source makes every compiler and Javadoc run warn.
     */
    private static final @Nullable MethodHandle UNSAFE_CAS_INT;

    /** {@code sun.misc.Unsafe.putLong(address, value)}, as {@link #UNSAFE_CAS_INT}. */
    private static final @Nullable MethodHandle UNSAFE_PUT_LONG;

    static {
        MethodHandle cas = null;
        MethodHandle put = null;
        if (unsafeMemoryAccessQuiet()) {
            try {
                Class<?> type = Class.forName("sun.misc.Unsafe");
                Field field = type.getDeclaredField("theUnsafe");
                field.setAccessible(true);
                Object unsafe = field.get(null);
                MethodHandles.Lookup lookup = MethodHandles.publicLookup();
                cas = MethodHandles.insertArguments(
                        lookup.findVirtual(
                                        type,
                                        "compareAndSwapInt",
                                        MethodType.methodType(
                                                boolean.class, Object.class, long.class, int.class, int.class))
                                .bindTo(unsafe),
                        0,
                        (Object) null);
                put = lookup.findVirtual(type, "putLong", MethodType.methodType(void.class, long.class, long.class))
                        .bindTo(unsafe);
            } catch (ReflectiveOperationException | RuntimeException ex) {
                // No Unsafe here: the views work everywhere, only slower.
                cas = null;
                put = null;
            }
        }
        UNSAFE_CAS_INT = cas;
        UNSAFE_PUT_LONG = put;
    }

    /**
     * Whether {@code sun.misc.Unsafe}'s memory access is quiet: when the launcher option {@code
     * --sun-misc-unsafe-memory-access} (JDK 23 and later), which sets this property, says {@code
     * allow}; without the option, before JDK 24. Any other value ({@code warn}, {@code debug},
     * {@code deny}) warns or throws on the first access, so the views serve. A MemorySegment path
     * on JDK 24+ was tried and not kept: it checks what the views check, and took 9.0 to 10.0 ns
     * per uncontended pair against the views' 8.6 (issue 15).
     */
    private static boolean unsafeMemoryAccessQuiet() {
        String mode = System.getProperty("sun.misc.unsafe.memory.access");
        return mode != null ? mode.equals("allow") : Runtime.version().feature() < 24;
    }

    /** Returns whether the uncontended path goes through {@code sun.misc.Unsafe}, for tests. */
    static boolean uncontendedThroughUnsafe() {
        return UNSAFE_CAS_INT != null;
    }

    private final MappedByteBuffer buffer;

    private final long address;

    ShmSegment(MappedByteBuffer buffer) {
        this.buffer = buffer;
        buffer.order(ByteOrder.nativeOrder());
        this.address = Pointer.nativeValue(Native.getDirectBufferPointer(buffer));
        // A misaligned atomic word would throw on every access (or, through futex, fail with
        // EINVAL); the mapping itself is page-aligned, so this only guards against a bad mapping.
        if (address % ShmLayout.CACHE_LINE_LENGTH != 0) {
            throw new IllegalStateException("Segment mapped at unaligned address " + Long.toHexString(address)
                    + "; lock words need " + ShmLayout.CACHE_LINE_LENGTH + "-byte alignment");
        }
    }

    /** Returns the mapping, for a lock handle's uncontended path ({@link #casUncontended}). */
    MappedByteBuffer mapping() {
        return buffer;
    }

    /**
     * Checks, once per lock handle, that a record of {@code length} bytes at {@code offset} lies
     * inside the mapping, since {@link #casUncontended} and {@link #putLongUncontended} may not.
     *
     * @throws IllegalStateException if it does not (a layout bug: record offsets come from it)
     */
    void checkRecord(int offset, int length) {
        if (offset < 0 || offset > buffer.capacity() - length) {
            throw new IllegalStateException("Lock record at offset " + offset + " (" + length + " bytes) lies outside"
                    + " the " + buffer.capacity() + "-byte mapping of the segment; this is a bug in Interlock's"
                    + " layout code, please report it");
        }
    }

    /**
     * Compare-and-set of the int at {@code offset} of {@code mapping}, whose first byte is at
     * {@code address}, for the uncontended path of a handle that keeps both (see {@link #UNSAFE_CAS_INT});
     * the offset must have passed {@link #checkRecord}.
     */
    static boolean casUncontended(ByteBuffer mapping, long address, int offset, int expected, int value) {
        if (UNSAFE_CAS_INT == null) {
            return INT.compareAndSet(mapping, offset, expected, value);
        }
        boolean set;
        try {
            set = (boolean) UNSAFE_CAS_INT.invokeExact(address + offset, expected, value);
        } catch (Throwable ex) {
            throw new IllegalStateException("Unsafe.compareAndSwapInt cannot fail", ex);
        }
        // The mapping lives as long as the buffer is reachable: keep it so until the access is done.
        Reference.reachabilityFence(mapping);
        return set;
    }

    /** Plain store of the long at {@code offset} of {@code mapping}, as {@link #casUncontended}. */
    static void putLongUncontended(ByteBuffer mapping, long address, int offset, long value) {
        if (UNSAFE_PUT_LONG == null) {
            mapping.putLong(offset, value);
            return;
        }
        try {
            UNSAFE_PUT_LONG.invokeExact(address + offset, value);
        } catch (Throwable ex) {
            throw new IllegalStateException("Unsafe.putLong cannot fail", ex);
        }
        Reference.reachabilityFence(mapping);
    }

    /** Returns the address of the byte at {@code offset}, for futex calls. */
    long address(int offset) {
        return address + offset;
    }

    int intAcquire(int offset) {
        return (int) INT.getAcquire(buffer, offset);
    }

    int intVolatile(int offset) {
        return (int) INT.getVolatile(buffer, offset);
    }

    void intRelease(int offset, int value) {
        INT.setRelease(buffer, offset, value);
    }

    boolean compareAndSetInt(int offset, int expected, int value) {
        return INT.compareAndSet(buffer, offset, expected, value);
    }

    int compareAndExchangeInt(int offset, int expected, int value) {
        return (int) INT.compareAndExchange(buffer, offset, expected, value);
    }

    long longAcquire(int offset) {
        return (long) LONG.getAcquire(buffer, offset);
    }

    void longRelease(int offset, long value) {
        LONG.setRelease(buffer, offset, value);
    }

    int intPlain(int offset) {
        return buffer.getInt(offset);
    }

    void intPlain(int offset, int value) {
        buffer.putInt(offset, value);
    }

    long longPlain(int offset) {
        return buffer.getLong(offset);
    }

    void longPlain(int offset, long value) {
        buffer.putLong(offset, value);
    }

    byte bytePlain(int offset) {
        return buffer.get(offset);
    }

    void bytesPlain(int offset, byte[] bytes) {
        buffer.put(offset, bytes);
    }

    byte[] bytesPlain(int offset, int length) {
        byte[] bytes = new byte[length];
        buffer.get(offset, bytes);
        return bytes;
    }
}
