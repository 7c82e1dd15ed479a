package dev.interlock.benchmarks.multiprocess;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import org.junit.jupiter.api.Test;

/**
 * Tests for {@link WaitHistogram}.
 *
 * @author Interlock team
 */
class WaitHistogramTests {

    @Test
    void valuesBelow32ShouldBeExact() {
        for (long value = 0; value < 32; value++) {
            assertThat(WaitHistogram.highestValueIn(WaitHistogram.indexOf(value)))
                    .isEqualTo(value);
        }
    }

    @Test
    void bucketShouldHoldItsValueWithinOneSixteenth() {
        for (long value = 32; value > 0 && value < Long.MAX_VALUE / 3; value = value * 3 + 7) {
            long reported = WaitHistogram.highestValueIn(WaitHistogram.indexOf(value));
            assertThat(reported).isGreaterThanOrEqualTo(value).isLessThanOrEqualTo(value + value / 16);
        }
    }

    @Test
    void largestValueShouldFitTheLastBucket() {
        assertThat(WaitHistogram.indexOf(Long.MAX_VALUE)).isEqualTo(WaitHistogram.BUCKETS - 1);
        assertThat(WaitHistogram.highestValueIn(WaitHistogram.BUCKETS - 1)).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void percentileShouldReturnTheBucketOfThatRank() {
        WaitHistogram histogram = new WaitHistogram();
        for (int i = 1; i <= 100; i++) {
            histogram.record(i);
        }
        assertThat(histogram.count()).isEqualTo(100);
        assertThat(histogram.percentile(50)).isBetween(50L, 50L + 50 / 16);
        assertThat(histogram.percentile(99)).isBetween(99L, 99L + 99 / 16);
        assertThat(histogram.percentile(100)).isBetween(100L, 100L + 100 / 16);
        assertThat(histogram.percentile(0)).isEqualTo(1);
    }

    @Test
    void negativeDurationShouldCountAsZero() {
        WaitHistogram histogram = new WaitHistogram();
        histogram.record(-5);
        assertThat(histogram.percentile(100)).isZero();
    }

    @Test
    void decodeShouldRestoreWhatEncodeWrote() {
        WaitHistogram histogram = new WaitHistogram();
        histogram.record(3);
        histogram.record(3);
        histogram.record(1_000_000);
        WaitHistogram decoded = WaitHistogram.decode(histogram.encode());
        assertThat(decoded.encode()).isEqualTo(histogram.encode());
        assertThat(decoded.count()).isEqualTo(3);
        assertThat(decoded.percentile(50)).isEqualTo(3);
    }

    @Test
    void emptyHistogramShouldEncodeAsDash() {
        assertThat(new WaitHistogram().encode()).isEqualTo("-");
        assertThat(WaitHistogram.decode("-").count()).isZero();
    }

    @Test
    void addShouldMergeCounts() {
        WaitHistogram first = new WaitHistogram();
        first.record(10);
        WaitHistogram second = new WaitHistogram();
        second.record(10);
        second.record(20);
        first.add(second);
        assertThat(first.encode()).isEqualTo("10:2,20:1");
    }

    @Test
    void decodeWhenBucketOutOfRangeShouldThrow() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> WaitHistogram.decode("960:1"))
                .withMessageContaining("'960:1'")
                .withMessageContaining("below 960");
    }
}
