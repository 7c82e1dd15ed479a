package dev.interlock.spring.autoconfigure;

import java.nio.file.Path;
import org.springframework.core.env.Environment;

/**
 * Derives the default lock storage names from the OS user and {@code spring.application.name}, so
 * that instances of one application share locks and two users or two applications never do.
 *
 * @author Interlock team
 */
final class DefaultStorageNames {

    /** Longest part taken from the user or application name; keeps the result within NAME_MAX. */
    private static final int MAX_PART_LENGTH = 100;

    private DefaultStorageNames() {}

    /**
     * Returns the default shared-memory segment name, {@code /interlock-<user>-<app>}.
     *
     * @param environment the environment holding {@code spring.application.name}
     * @return the segment name
     */
    static String shmPath(Environment environment) {
        return "/" + baseName(environment);
    }

    /**
     * Returns the default lock directory, {@code <java.io.tmpdir>/interlock-<user>-<app>}.
     *
     * @param environment the environment holding {@code spring.application.name}
     * @return the directory
     */
    static Path fileDirectory(Environment environment) {
        return Path.of(System.getProperty("java.io.tmpdir"), baseName(environment));
    }

    private static String baseName(Environment environment) {
        String application = environment.getProperty("spring.application.name", "application");
        return "interlock-" + sanitize(System.getProperty("user.name", "user")) + "-" + sanitize(application);
    }

    /**
     * Keeps letters, digits, dots, dashes and underscores, which are valid in segment and file
     * names everywhere, and replaces every other character (a slash above all) with an underscore.
     */
    static String sanitize(String part) {
        String kept = part.replaceAll("[^A-Za-z0-9._-]", "_");
        return kept.length() <= MAX_PART_LENGTH ? kept : kept.substring(0, MAX_PART_LENGTH);
    }
}
