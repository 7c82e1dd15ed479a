package dev.interlock.file;

import dev.interlock.LockStorageException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.OptionalInt;
import java.util.SortedMap;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * This process's copy of the {@code names} file, a log of UTF-8 lines: {@code +<id> TAB <name>
 * LF} binds a name, {@code -<id> LF} unbinds the name of an ID. Valid names contain no control
 * characters, so neither tab nor line feed occurs inside one. Binding appends one line instead of
 * rewriting the table, and applying it costs O(1); the log is compacted (rewritten with only the
 * live bindings) once it has grown to several times their size. A last line without its line feed
 * was cut short by a crash; it is ignored, and the next append overwrites it.
 *
 * <p>The copy is tagged with what the allocation header said when it was read: the generation
 * (raised by every change) and the epoch (raised when the file is rewritten from scratch, so a
 * reader knows whether it may apply just the lines after {@link #length()}). Not thread-safe: the
 * owning {@link AllocationTable} guards it.
 *
 * @author Interlock team
 */
final class NameTable {

    private static final int COMPACT_SLACK_BYTES = 64 * 1024;

    private final Path file;

    /** -1 until first read, so that no header value matches. */
    private long generation = -1;

    private long epoch = -1;

    /** Bytes of the file applied so far: up to and including the last complete line. */
    private long length;

    /** Approximate bytes the live bindings take in a compacted log. */
    private long liveBytes;

    private final Map<Integer, String> namesById = new HashMap<>();

    private final Map<String, Integer> idsByName = new HashMap<>();

    NameTable(Path file) {
        this.file = file;
    }

    /** Forgets every binding; the file is to be read from its start in {@code newEpoch}. */
    void reset(long newEpoch) {
        epoch = newEpoch;
        generation = -1;
        length = 0;
        liveBytes = 0;
        namesById.clear();
        idsByName.clear();
    }

    /** Applies the complete lines of {@code log}, the bytes of the file from {@link #length()} on. */
    void apply(byte[] log, long newGeneration) {
        int start = 0;
        for (int end = indexOf(log, start); end >= 0; end = indexOf(log, start)) {
            String line = new String(log, start, end - start, StandardCharsets.UTF_8);
            int tab = line.indexOf('\t');
            try {
                if (line.startsWith("+") && tab > 1) {
                    bind(checkedId(line.substring(1, tab)), line.substring(tab + 1));
                } else if (line.startsWith("-")) {
                    unbind(checkedId(line.substring(1)));
                } else {
                    throw new NumberFormatException("unknown record type");
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
        length += start;
        generation = newGeneration;
    }

    /** Parses an ID of a record: a non-negative int, written by Interlock as plain digits. */
    private static int checkedId(String digits) {
        int id = Integer.parseInt(digits);
        if (id < 0 || digits.charAt(0) == '+') {
            throw new NumberFormatException("not a lock ID: " + digits);
        }
        return id;
    }

    private void bind(int id, String name) {
        unbind(id);
        namesById.put(id, name);
        idsByName.put(name, id);
        liveBytes += recordBytes(name);
    }

    private void unbind(int id) {
        String name = namesById.remove(id);
        if (name != null) {
            idsByName.remove(name);
            liveBytes -= recordBytes(name);
        }
    }

    private static long recordBytes(String name) {
        return 13 + 3L * name.length();
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

    /** The live bindings as a fresh log, ordered by ID. */
    byte[] compacted() {
        StringBuilder text = new StringBuilder();
        new TreeMap<>(namesById)
                .forEach((id, name) ->
                        text.append('+').append(id).append('\t').append(name).append('\n'));
        return text.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** Whether the log has grown well beyond its live bindings: over 4 times their size plus 64 KiB. */
    boolean needsCompaction() {
        return length > 4 * liveBytes + COMPACT_SLACK_BYTES;
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

    /** A copy of the bindings, sorted by name. */
    SortedMap<String, Integer> byName() {
        return Collections.unmodifiableSortedMap(new TreeMap<>(idsByName));
    }
}
