package dev.interlock.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A protected resource that checks fencing tokens, the way a database row with a {@code fence}
 * column does ({@code UPDATE ... SET value = :value, fence = :token WHERE fence < :token}): a file
 * holding a value and the highest token that wrote it, which refuses every write whose token is not
 * greater. Its own check-and-write is atomic (under a {@link FileChannel#lock()}), like the
 * database's row update; the Interlock lock is what makes read-modify-write sequences exclusive.
 *
 * @author Interlock team
 */
public final class FencedFile {

    private final Path file;

    /**
     * Creates the resource kept in {@code file}; a missing or empty file holds value 0, token 0.
     *
     * @param file the file holding value and token
     */
    public FencedFile(Path file) {
        this.file = file;
    }

    /**
     * Writes {@code value} if {@code token} is greater than the token of the last accepted write.
     *
     * @param token the writer's fencing token
     * @param value the new value
     * @return whether the write was accepted
     */
    public boolean write(long token, long value) {
        try (FileChannel channel = open();
                FileLock ignored = channel.lock()) {
            long[] current = read(channel);
            if (token <= current[1]) {
                return false;
            }
            channel.write(ByteBuffer.allocate(2 * Long.BYTES).putLong(0, value).putLong(Long.BYTES, token), 0);
            return true;
        } catch (IOException ex) {
            throw new UncheckedIOException("Cannot write fenced file " + file, ex);
        }
    }

    /**
     * Returns the value of the last accepted write.
     *
     * @return the value, 0 if nothing was written
     */
    public long value() {
        return snapshot()[0];
    }

    /**
     * Returns the token of the last accepted write.
     *
     * @return the token, 0 if nothing was written
     */
    public long lastToken() {
        return snapshot()[1];
    }

    private long[] snapshot() {
        try (FileChannel channel = open()) {
            return read(channel);
        } catch (IOException ex) {
            throw new UncheckedIOException("Cannot read fenced file " + file, ex);
        }
    }

    private FileChannel open() throws IOException {
        return FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
    }

    private static long[] read(FileChannel channel) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(2 * Long.BYTES);
        channel.read(buffer, 0);
        return buffer.position() == buffer.capacity()
                ? new long[] {buffer.getLong(0), buffer.getLong(Long.BYTES)}
                : new long[] {0, 0};
    }
}
