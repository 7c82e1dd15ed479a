package dev.interlock.samples.counter;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
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
 * <p>With the PostgreSQL backend the counter is also <b>fenced</b>: the second line holds the
 * fencing token of the last write, and {@link #writeFenced} refuses a token that is not greater,
 * checking and writing atomically under an OS file lock, as a database's conditional {@code
 * UPDATE ... WHERE fence < :token} would. A holder that was frozen while another took its lock
 * over then cannot overwrite the newer count with its stale one.
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
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            writeField(channel, 0, value);
        } catch (IOException ex) {
            throw new UncheckedIOException("Cannot write the counter file " + file + "; check that it is writable", ex);
        }
    }

    /**
     * Overwrites the value if {@code token} is greater than the token of the last fenced write.
     *
     * @param value the new value, not negative
     * @param token the fencing token of the writer's hold
     * @throws StaleTokenException if the token is not greater; nothing is written then
     */
    void writeFenced(long value, long token) {
        try (FileChannel channel = FileChannel.open(
                        file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
                FileLock ignored = channel.lock()) {
            ByteBuffer buffer = ByteBuffer.allocate(WIDTH);
            while (buffer.hasRemaining() && channel.read(buffer, WIDTH + buffer.position()) > 0) {
                // A read may return fewer bytes than asked; keep reading until the record is complete.
            }
            String text = new String(buffer.array(), 0, buffer.position(), StandardCharsets.US_ASCII).trim();
            long lastToken = text.isEmpty() ? 0 : Long.parseLong(text);
            if (token <= lastToken) {
                throw new StaleTokenException(value, token, lastToken);
            }
            writeField(channel, 0, value);
            writeField(channel, WIDTH, token);
        } catch (IOException ex) {
            throw new UncheckedIOException("Cannot write the counter file " + file + "; check that it is writable", ex);
        }
    }

    private static void writeField(FileChannel channel, long position, long value) throws IOException {
        String text = String.format("%" + (WIDTH - 1) + "d\n", value);
        ByteBuffer buffer = ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII));
        while (buffer.hasRemaining()) {
            channel.write(buffer, position + buffer.position());
        }
    }

    /**
     * Thrown when a fenced write carries a token that is not greater than the last one written:
     * the writer's hold was taken over by a later holder, and its write would lose that holder's
     * increments.
     *
     * @author Interlock team
     */
    static final class StaleTokenException extends IllegalStateException {

        private static final long serialVersionUID = 1L;

        private final long value;

        private final long token;

        private final long lastToken;

        StaleTokenException(long value, long token, long lastToken) {
            super("Refused to write " + value + " with fencing token " + token + ": the counter was last written with"
                    + " token " + lastToken + ", so a later holder took the lock over; read the counter again under"
                    + " a new hold");
            this.value = value;
            this.token = token;
            this.lastToken = lastToken;
        }

        long value() {
            return value;
        }

        long token() {
            return token;
        }

        long lastToken() {
            return lastToken;
        }
    }
}
