package dev.interlock.benchmarks.multiprocess;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import org.junit.jupiter.api.Test;

/**
 * Tests for {@link HammerResult}.
 *
 * @author Interlock team
 */
class HammerResultTests {

    @Test
    void parseShouldRestoreWhatToLineWrote() {
        WaitHistogram waits = new WaitHistogram();
        waits.record(40);
        waits.record(41);
        HammerResult result = new HammerResult(2, 250_000_000, 1_000, waits);
        HammerResult parsed = HammerResult.parse(result.toLine());
        assertThat(parsed.pairs()).isEqualTo(2);
        assertThat(parsed.elapsedNanos()).isEqualTo(250_000_000);
        assertThat(parsed.cpuNanos()).isEqualTo(1_000);
        assertThat(parsed.waits().encode()).isEqualTo(waits.encode());
        assertThat(parsed.pairsPerSecond()).isEqualTo(8.0);
    }

    @Test
    void parseWhenNotAResultLineShouldThrow() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> HammerResult.parse("ERROR lock: Invalid argument"))
                .withMessageContaining("'ERROR lock: Invalid argument'");
    }

    @Test
    void parseWhenFieldMissingShouldThrow() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> HammerResult.parse("RESULT pairs=1 elapsed_ns=2 hist=-"))
                .withMessageContaining("no field cpu_ns");
    }
}
