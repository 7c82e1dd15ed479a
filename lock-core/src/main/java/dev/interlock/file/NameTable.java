package dev.interlock.file;

import dev.interlock.LockStorageException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.OptionalInt;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * An immutable snapshot of the {@code names} file, a log of UTF-8 lines: {@code +<id> TAB <name>
 * LF} binds a name, {@code -<id> LF} unbinds the name of an ID. Valid names contain no control
 * characters, so neither tab nor line feed occurs inside one. Binding appends one line instead of
 * rewriting the table; the log is compacted (rewritten with only the live bindings) when it has
 * grown to several times their size. A last line without its line feed was cut short by a crash
 * and is ignored, and the next append overwrites it.
 *
 * <p>The snapshot is tagged with what the allocation header said when it was read: the
 * generation (raised by every change) and the epoch (raised when the file is rewritten from
 * scratch, so a reader knows whether it may read only the lines after {@link #length()}).
 *
 * @author Interlock team
 */
final class NameTable {

    /** No names and no generation, so the first use reads the file. */
    static final NameTable EMPTY = new NameTable(-1, -1, 0, Map.of());

    private static final int COMPACT_SLACK_BYTES = 64 * 1024;

    private final long generation;

    private final long epoch;

    /** Bytes of the file covered by this snapshot: up to and including its last complete line. */
    private final long length;

    private final Map<Integer, String> namesById;

    private final Map<String, Integer> idsByName;

    private NameTable(long generation, long epoch, long length, Map<Integer, String> namesById) {
        this.generation = generation;
        this.epoch = epoch;
        this.length = length;
        this.namesById = namesById;
        Map<String, Integer> ids = new HashMap<>();
        namesById.forEach((id, name) -> ids.put(name, id));
        this.idsByName = ids;
    }

    /** An empty table at the start of a new epoch. */
    static NameTable empty(long generation, long epoch) {
        return new NameTable(generation, epoch, 0, Map.of());
    }

    /**
     * Returns this table with the complete lines of {@code log} applied, {@code log} being the
     * bytes of the file from {@link #length()} on.
     */
    NameTable append(byte[] log, long newGeneration, Path file) {
        Map<Integer, String> updated = new TreeMap<>(namesById);
        int start = 0;
        for (int end = indexOf(log, start); end >= 0; end = indexOf(log, start)) {
            String line = new String(log, start, end - start, StandardCharsets.UTF_8);
            try {
                if (line.startsWith("+") && line.indexOf('\t') > 1) {
                    int tab = line.indexOf('\t');
                    updated.put(Integer.parseInt(line.substring(1, tab)), line.substring(tab + 1));
                } else if (line.startsWith("-")) {
                    updated.remove(Integer.parseInt(line.substring(1)));
                } else {
                    throw new NumberFormatException("no record type");
                }
            } catch (NumberFormatException ex) {
                throw new LockStorageException(
                        file.toString(),
                        "Name table " + file + " is corrupt at byte " + (length + start) + " ('" + line
                                + "'): expected '+<id> TAB <name>' or '-<id>'; remove the line, then bind the"
                                + " name again with namedLock(name)",
                        ex);
            }
            start = end + 1;
        }
        return new NameTable(newGeneration, epoch, length + start, updated);
    }

    private static int indexOf(byte[] log, int from) {
        for (int i = from; i < log.length; i++) {
            if (log[i] == '\n') {
                return i;
            }
        }
        return -1;
    }

    static byte[] bindRecord(int id, String name) {
        return ("+" + id + "\t" + name + "\n").getBytes(StandardCharsets.UTF_8);
    }

    static byte[] unbindRecord(int id) {
        return ("-" + id + "\n").getBytes(StandardCharsets.UTF_8);
    }

    /** The live bindings as a fresh log, for compaction. */
    byte[] compacted() {
        StringBuilder text = new StringBuilder();
        namesById.forEach((id, name) ->
                text.append('+').append(id).append('\t').append(name).append('\n'));
        return text.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** Whether the log has grown well beyond its live bindings (by a factor of 4 plus 64 KiB). */
    boolean needsCompaction() {
        long live = 0;
        for (Map.Entry<Integer, String> entry : namesById.entrySet()) {
            live += 16 + entry.getValue().length();
        }
        return length > 4 * live + COMPACT_SLACK_BYTES;
    }

    long generation() {
        return generation;
    }

    long epoch() {
        return epoch;
    }

    long length() {
        return length;
    }

    OptionalInt idOf(String name) {
        Integer id = idsByName.get(name);
        return id == null ? OptionalInt.empty() : OptionalInt.of(id);
    }

    @Nullable
    String nameOf(int id) {
        return namesById.get(id);
    }
}
