package dev.interlock.file;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

import dev.interlock.LockStorageException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * Tests for {@link NameTable}.
 *
 * @author Interlock team
 */
class NameTableTests {

    private final NameTable table = new NameTable(Path.of("/locks/names"));

    private static byte[] log(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void applyShouldBindAndUnbindInOrder() {
        table.apply(log("+3\tinvoice\n+4\tロック\n-3\n+3\tother\n"), 7);
        assertThat(table.idOf("invoice")).isEmpty();
        assertThat(table.idOf("other")).hasValue(3);
        assertThat(table.nameOf(4)).isEqualTo("ロック");
        assertThat(table.generation()).isEqualTo(7);
        assertThat(new String(table.compacted(), StandardCharsets.UTF_8)).isEqualTo("+3\tother\n+4\tロック\n");
    }

    @Test
    void lineCutShortByACrashShouldBeIgnoredAndReadLater() {
        table.apply(log("+1\tfirst\n+2\tsec"), 1);
        assertThat(table.length()).isEqualTo("+1\tfirst\n".length());
        assertThat(table.nameOf(2)).isNull();
        table.apply(log("+2\tsecond\n"), 2);
        assertThat(table.nameOf(2)).isEqualTo("second");
    }

    @Test
    void corruptLineShouldNameFileAndPosition() {
        assertThatExceptionOfType(LockStorageException.class)
                .isThrownBy(() -> table.apply(log("+1\tok\ngarbage\n"), 1))
                .withMessage("Name table /locks/names is corrupt at byte 6 ('garbage'): expected '+<id> TAB <name>'"
                        + " or '-<id>'; remove the line, then bind the name again with namedLock(name)");
    }

    @Test
    void logShouldNeedCompactionOnlyWhenMostlyDead() {
        for (int i = 0; i < 2_000; i++) {
            table.apply(NameTable.bindRecord(i, "name-" + i), i);
        }
        assertThat(table.needsCompaction()).isFalse();
        for (int i = 0; i < 2_000; i++) {
            table.apply(NameTable.unbindRecord(i), i);
        }
        assertThat(table.needsCompaction()).isFalse();
        for (int i = 0; i < 4_000; i++) {
            table.apply(NameTable.bindRecord(i, "x"), i);
            table.apply(NameTable.unbindRecord(i), i);
        }
        assertThat(table.needsCompaction()).isTrue();
    }
}
