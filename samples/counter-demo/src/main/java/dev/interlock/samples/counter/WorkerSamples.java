package dev.interlock.samples.counter;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * What one worker measured: for each of its increments, the wait for the lock and when it got it.
 * A worker writes them to a file at its end; the job reads them back.
 *
 * @param waitNanos the wait of each increment, in nanoseconds
 * @param acquiredAtMicros when each increment acquired the lock, in microseconds since the epoch
 * @author Interlock team
 */
record WorkerSamples(long[] waitNanos, long[] acquiredAtMicros) {

    /**
     * Collects the samples of the given increments.
     *
     * @param increments the increments, in order
     * @return the samples
     */
    static WorkerSamples of(List<Increment> increments) {
        long[] waits = new long[increments.size()];
        long[] acquiredAt = new long[increments.size()];
        for (int i = 0; i < waits.length; i++) {
            waits[i] = increments.get(i).waitNanos();
            acquiredAt[i] = increments.get(i).acquiredAtMicros();
        }
        return new WorkerSamples(waits, acquiredAt);
    }

    /**
     * Reads samples that {@link #writeTo(Path)} wrote.
     *
     * @param file the samples file
     * @return the samples
     */
    static WorkerSamples readFrom(Path file) {
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file)))) {
            int count = in.readInt();
            long[] waits = new long[count];
            long[] acquiredAt = new long[count];
            for (int i = 0; i < count; i++) {
                waits[i] = in.readLong();
                acquiredAt[i] = in.readLong();
            }
            return new WorkerSamples(waits, acquiredAt);
        } catch (IOException ex) {
            throw new UncheckedIOException("Cannot read the worker samples file " + file, ex);
        }
    }

    /**
     * Writes the samples to a file.
     *
     * @param file the samples file, replaced if it exists
     */
    void writeTo(Path file) {
        try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(file)))) {
            out.writeInt(waitNanos.length);
            for (int i = 0; i < waitNanos.length; i++) {
                out.writeLong(waitNanos[i]);
                out.writeLong(acquiredAtMicros[i]);
            }
        } catch (IOException ex) {
            throw new UncheckedIOException("Cannot write the worker samples file " + file, ex);
        }
    }
}
