package dev.interlock.benchmarks.multiprocess;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Tests for {@link HandOffBenchmark}: one short round through a real child JVM.
 *
 * @author Interlock team
 */
class HandOffBenchmarkTests {

    @Test
    void runShouldTimeEveryHandOffOfBothSubjectsButTheWarmUp() throws Exception {
        List<HandOffBenchmark.Result> results = HandOffBenchmark.run(1, 3);
        assertThat(results).extracting(HandOffBenchmark.Result::subject).containsExactly("FILE", "FILE_CHANNEL");
        assertThat(results).allSatisfy(result -> {
            assertThat(result.latenciesNanos()).hasSize(3);
            assertThat(result.percentile(0))
                    .as("the child acquires after the release, on the host's one monotonic clock")
                    .isPositive();
            assertThat(result.percentile(50)).isBetween(result.percentile(0), result.percentile(100));
            assertThat(result.toString()).startsWith(result.subject()).contains("latency p50");
        });
    }
}
