package dev.interlock.file;

import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * Named points between the steps of multi-step updates of a lock directory, where tests stop a
 * child process with {@code SIGKILL} to check that every prefix of an update leaves a state that
 * is safe to continue from (section 5 of {@code docs/file-layout.md}). Outside tests the hook is
 * null and a point costs one volatile read, next to system calls that cost microseconds.
 *
 * @author Interlock team
 */
final class CrashPoints {

    /** Test hook, told the name of every point reached; null outside tests. */
    static volatile @Nullable Consumer<String> hook;

    private CrashPoints() {}

    /** Tells the test hook, if any, that {@code point} was reached. */
    static void reached(String point) {
        Consumer<String> current = hook;
        if (current != null) {
            current.accept(point);
        }
    }
}
