package dev.interlock.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A counter in a plain file, incremented by read-modify-write with no synchronisation of its own.
 * Processes that increment it under a lock prove the lock's exclusion: any overlap of two
 * critical sections loses an update, and the final value comes up short.
 *
 * @author Interlock team
 */
public final class SharedCounter {

    private final Path file;

    /**
     * Creates a counter kept in {@code file}; a missing or empty file counts as zero.
     *
     * @param file the file holding the counter
     */
    public SharedCounter(Path file) {
        this.file = file;
    }

    /**
     * Reads the value, adds one and writes it back, as separate unsynchronised steps.
     *
     * @return the new value
     */
    public long increment() {
        try (FileChannel channel =
                FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer buffer = ByteBuffer.allocate(Long.BYTES);
            channel.read(buffer, 0);
            long value = buffer.position() == Long.BYTES ? buffer.flip().getLong() : 0;
            // Give a second process every chance to interleave if exclusion were broken.
            Thread.yield();
            channel.write(ByteBuffer.allocate(Long.BYTES).putLong(0, value + 1), 0);
            return value + 1;
        } catch (IOException ex) {
            throw new UncheckedIOException("Cannot update counter file " + file, ex);
        }
    }

    /**
     * Returns the current value.
     *
     * @return the value, zero when the file is missing or empty
     */
    public long get() {
        try {
            if (!Files.exists(file) || Files.size(file) < Long.BYTES) {
                return 0;
            }
            return ByteBuffer.wrap(Files.readAllBytes(file)).getLong();
        } catch (IOException ex) {
            throw new UncheckedIOException("Cannot read counter file " + file, ex);
        }
    }
}
