package dev.interlock.shm;

import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;

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
