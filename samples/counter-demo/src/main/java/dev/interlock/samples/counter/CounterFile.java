package dev.interlock.samples.counter;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A counter kept as text in a plain file, read and written in separate steps with no
 * synchronisation of its own: two processes that update it at the same time lose an update, so
 * only a lock that really excludes other processes keeps it exact.
 *
 * <p>The value is written as a fixed-width decimal number at the start of the file, so a write
 * never shortens the file and {@code cat} shows the count.
 *
 * @author Interlock team
 */
final class CounterFile {

    /** Enough digits for any {@code long}, then a newline. */
    private static final int WIDTH = 20;

    private final Path file;

    CounterFile(Path file) {
        this.file = file;
    }

    /**
     * Returns the file that holds the counter.
     *
     * @return the path
     */
    Path path() {
        return file;
    }

    /**
     * Reads the value; a missing or empty file counts as zero.
     *
     * @return the value
     */
    long read() {
        if (!Files.exists(file)) {
            return 0;
        }
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer buffer = ByteBuffer.allocate(WIDTH);
            while (buffer.hasRemaining() && channel.read(buffer, buffer.position()) > 0) {
                // A read may return fewer bytes than asked; keep reading until the record is complete.
            }
            String text = new String(buffer.array(), 0, buffer.position(), StandardCharsets.US_ASCII).trim();
            return text.isEmpty() ? 0 : Long.parseLong(text);
        } catch (IOException ex) {
            throw new UncheckedIOException("Cannot read the counter file " + file + "; check that it is readable", ex);
        } catch (NumberFormatException ex) {
            throw new IllegalStateException(
                    "The counter file " + file + " does not hold a number; delete it to start from zero", ex);
        }
    }

    /**
     * Overwrites the value.
     *
     * @param value the new value, not negative
     */
    void write(long value) {
        String text = String.format("%" + (WIDTH - 1) + "d\n", value);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            ByteBuffer buffer = ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII));
            while (buffer.hasRemaining()) {
                channel.write(buffer, buffer.position());
            }
        } catch (IOException ex) {
            throw new UncheckedIOException("Cannot write the counter file " + file + "; check that it is writable", ex);
        }
    }
}
