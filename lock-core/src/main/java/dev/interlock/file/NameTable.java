package dev.interlock.file;

import dev.interlock.LockStorageException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.OptionalInt;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * An immutable snapshot of the {@code names} file: one UTF-8 line {@code <id> TAB <name> LF} per
 * bound name. Valid names contain no control characters, so neither tab nor line feed can occur
 * inside one. The generation is the allocation header's counter at the time the file was read.
 *
 * @author Interlock team
 */
final class NameTable {

    /** No names, with a generation that matches no file, so the first use reads the file. */
    static final NameTable EMPTY = new NameTable(-1, Map.of());

    private final long generation;

    /** Sorted by ID, so the file is written in a stable order. */
    private final Map<Integer, String> namesById;

    private final Map<String, Integer> idsByName;

    private NameTable(long generation, Map<Integer, String> namesById) {
        this.generation = generation;
        this.namesById = Collections.unmodifiableMap(new TreeMap<>(namesById));
        Map<String, Integer> ids = new HashMap<>();
        namesById.forEach((id, name) -> ids.put(name, id));
        this.idsByName = Collections.unmodifiableMap(ids);
    }

    static NameTable parse(byte[] content, long generation, Path file) {
        Map<Integer, String> namesById = new HashMap<>();
        String text = new String(content, StandardCharsets.UTF_8);
        int lineNumber = 0;
        for (String line : text.split("\n")) {
            lineNumber++;
            if (line.isEmpty()) {
                continue;
            }
            int tab = line.indexOf('\t');
            try {
                namesById.put(Integer.parseInt(line.substring(0, Math.max(tab, 0))), line.substring(tab + 1));
            } catch (NumberFormatException ex) {
                throw new LockStorageException(
                        file.toString(),
                        "Name table " + file + " is corrupt at line " + lineNumber + " ('" + line
                                + "'): expected '<id> TAB <name>'; restore it or remove the line, then re-bind the"
                                + " name with namedLock(name)",
                        ex);
            }
        }
        return new NameTable(generation, namesById);
    }

    byte[] serialize() {
        StringBuilder text = new StringBuilder();
        namesById.forEach(
                (id, name) -> text.append(id).append('\t').append(name).append('\n'));
        return text.toString().getBytes(StandardCharsets.UTF_8);
    }

    long generation() {
        return generation;
    }

    OptionalInt idOf(String name) {
        Integer id = idsByName.get(name);
        return id == null ? OptionalInt.empty() : OptionalInt.of(id);
    }

    @Nullable
    String nameOf(int id) {
        return namesById.get(id);
    }

    NameTable with(String name, int id) {
        Map<Integer, String> updated = new HashMap<>(namesById);
        updated.put(id, name);
        return new NameTable(generation, updated);
    }

    NameTable without(int id) {
        Map<Integer, String> updated = new HashMap<>(namesById);
        updated.remove(id);
        return new NameTable(generation, updated);
    }

    NameTable withGeneration(long newGeneration) {
        return new NameTable(newGeneration, namesById);
    }
}
