package dev.interlock.benchmarks.multiprocess;

import java.util.Arrays;
import java.util.StringJoiner;

/**
 * A fixed-bucket histogram of durations in nanoseconds: exact below 32 ns, then 16 buckets per
 * power of two, so a reported value is at most 1/16 (6.25 %) above the recorded one. Recording is
 * an array increment with no allocation, cheap enough to time every acquisition.
 *
 * <p>The C reference ({@code src/main/c/lockref.c}) uses the same buckets and the same text form
 * ({@link #encode()}), so histograms from Java and C children merge and compare bucket by bucket.
 * Not thread-safe: each thread records into its own histogram and they are merged afterwards.
 *
 * @author Interlock team
 * @since 0.1.0
 */
public final class WaitHistogram {

    private static final int SUB_BUCKET_BITS = 4;

    private static final int SUB_BUCKETS = 1 << SUB_BUCKET_BITS;

    /** One bucket group per power of two from 2^4 to 2^62, plus the exact values 0..15. */
    static final int BUCKETS = (63 - SUB_BUCKET_BITS + 1) * SUB_BUCKETS;

    private final long[] counts = new long[BUCKETS];

    private long total;

    /**
     * Records one duration; negative values (a clock that stepped back) count as zero.
     *
     * @param nanos the duration
     */
    public void record(long nanos) {
        counts[indexOf(Math.max(0, nanos))]++;
        total++;
    }

    /**
     * Adds every count of {@code other} to this histogram.
     *
     * @param other the histogram to add
     */
    public void add(WaitHistogram other) {
        for (int i = 0; i < BUCKETS; i++) {
            counts[i] += other.counts[i];
        }
        total += other.total;
    }

    /**
     * Returns how many durations were recorded.
     *
     * @return the count
     */
    public long count() {
        return total;
    }

    /**
     * Returns the duration at or below which {@code percentile} percent of the recorded ones lie,
     * as the upper end of its bucket.
     *
     * @param percentile 0 to 100
     * @return the duration in nanoseconds, or 0 if nothing was recorded
     */
    public long percentile(double percentile) {
        if (percentile < 0 || percentile > 100) {
            throw new IllegalArgumentException("Percentile must be 0 to 100, was " + percentile);
        }
        long rank = Math.max(1, (long) Math.ceil(percentile / 100 * total));
        long seen = 0;
        for (int i = 0; i < BUCKETS; i++) {
            seen += counts[i];
            if (seen >= rank) {
                return highestValueIn(i);
            }
        }
        return 0;
    }

    /**
     * Returns how many recorded durations lie in buckets wholly above {@code nanos}: those
     * certainly longer than it (a bucket that straddles it counts as not longer, so the count is
     * at most 1/16 low near the threshold).
     *
     * @param nanos the threshold
     * @return the count
     */
    public long countOver(long nanos) {
        long over = 0;
        for (int i = indexOf(Math.max(0, nanos)) + 1; i < BUCKETS; i++) {
            over += counts[i];
        }
        return over;
    }

    /**
     * Returns the non-empty buckets as {@code index:count} pairs joined by commas ({@code -} when
     * empty), the form both the Java and the C children print.
     *
     * @return the encoded histogram
     */
    public String encode() {
        StringJoiner joiner = new StringJoiner(",");
        for (int i = 0; i < BUCKETS; i++) {
            if (counts[i] != 0) {
                joiner.add(i + ":" + counts[i]);
            }
        }
        return total == 0 ? "-" : joiner.toString();
    }

    /**
     * Parses the form written by {@link #encode()}.
     *
     * @param text the encoded histogram
     * @return the histogram
     * @throws IllegalArgumentException if the text is not in that form
     */
    public static WaitHistogram decode(String text) {
        WaitHistogram histogram = new WaitHistogram();
        if (text.equals("-")) {
            return histogram;
        }
        for (String pair : text.split(",")) {
            int colon = pair.indexOf(':');
            try {
                int index = Integer.parseInt(pair.substring(0, colon));
                long count = Long.parseLong(pair.substring(colon + 1));
                histogram.counts[index] += count;
                histogram.total += count;
            } catch (RuntimeException ex) {
                throw new IllegalArgumentException(
                        "Histogram bucket '" + pair + "' is not index:count with an index" + " below " + BUCKETS
                                + " in '" + text + "'; child and parent must be from the same build",
                        ex);
            }
        }
        return histogram;
    }

    /** Returns the bucket of a non-negative duration. */
    static int indexOf(long nanos) {
        if (nanos < SUB_BUCKETS) {
            return (int) nanos;
        }
        int exponent = 63 - Long.numberOfLeadingZeros(nanos);
        int subBucket = (int) (nanos >>> (exponent - SUB_BUCKET_BITS)) & (SUB_BUCKETS - 1);
        return (exponent - SUB_BUCKET_BITS + 1) * SUB_BUCKETS + subBucket;
    }

    /** Returns the largest duration that falls into bucket {@code index}. */
    static long highestValueIn(int index) {
        if (index < SUB_BUCKETS) {
            return index;
        }
        int exponent = index / SUB_BUCKETS + SUB_BUCKET_BITS - 1;
        long width = 1L << (exponent - SUB_BUCKET_BITS);
        long lowest = (long) (SUB_BUCKETS + index % SUB_BUCKETS) << (exponent - SUB_BUCKET_BITS);
        return lowest + width - 1;
    }

    @Override
    public String toString() {
        return "WaitHistogram(count=" + total + ", p50=" + percentile(50) + "ns, max=" + percentile(100)
                + "ns, buckets=" + Arrays.stream(counts).filter(c -> c != 0).count() + ")";
    }
}
