package dev.interlock.shm;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;

/**
 * Raw segment access for tests: reads and writes that bypass the manager to fake corruption or
 * a dead holder's records. Unique names come from {@link dev.interlock.testing.SegmentNames}.
 *
 * @author Interlock team
 */
final class TestSegments {

    private TestSegments() {}

    /** Reads the native-order int at {@code offset} of segment {@code path}'s file. */
    static int readInt(String path, int offset) {
        try (FileChannel channel = FileChannel.open(SegmentFiles.fileOf(path), StandardOpenOption.READ)) {
            ByteBuffer buffer = ByteBuffer.allocate(Integer.BYTES).order(ByteOrder.nativeOrder());
            channel.read(buffer, offset);
            return buffer.getInt(0);
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    /** Writes a native-order int at {@code offset} of segment {@code path}'s file. */
    static void writeInt(String path, int offset, int value) {
        writeBytes(
                path,
                offset,
                ByteBuffer.allocate(Integer.BYTES)
                        .order(ByteOrder.nativeOrder())
                        .putInt(0, value));
    }

    /** Writes a native-order long at {@code offset} of segment {@code path}'s file. */
    static void writeLong(String path, int offset, long value) {
        writeBytes(
                path,
                offset,
                ByteBuffer.allocate(Long.BYTES).order(ByteOrder.nativeOrder()).putLong(0, value));
    }

    /** Writes {@code bytes} at {@code offset} of segment {@code path}'s file. */
    static void writeBytes(String path, int offset, byte[] bytes) {
        writeBytes(path, offset, ByteBuffer.wrap(bytes));
    }

    private static void writeBytes(String path, int offset, ByteBuffer bytes) {
        try (FileChannel channel = FileChannel.open(SegmentFiles.fileOf(path), StandardOpenOption.WRITE)) {
            channel.write(bytes, offset);
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }
}
