package dev.interlock.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/**
 * Finds a JDK of at least some feature release for a child JVM ({@link ChildJvm.Builder#javaHome}),
 * since the tests themselves may run on Java 17: the running JDK if it is new enough, else the one
 * named by the {@code INTERLOCK_NEWER_JDK_HOME} environment variable, else the newest under {@code
 * /usr/lib/jvm}. A JDK's release comes from the {@code JAVA_VERSION} line of its {@code release}
 * file.
 *
 * @author Interlock team
 */
public final class Jdks {

    private static final Path INSTALLED = Path.of("/usr/lib/jvm");

    private static final Pattern JAVA_VERSION = Pattern.compile("^JAVA_VERSION=\"(\\d+)", Pattern.MULTILINE);

    private Jdks() {}

    /**
     * Returns the home of a JDK whose feature release is at least {@code feature}.
     *
     * @param feature the lowest acceptable feature release, for example 21 for virtual threads
     * @return the JDK's home, or empty if none is found (the caller skips its test)
     */
    public static Optional<Path> atLeast(int feature) {
        if (Runtime.version().feature() >= feature) {
            return Optional.of(Path.of(System.getProperty("java.home")));
        }
        List<Path> candidates = new ArrayList<>();
        String configured = System.getenv("INTERLOCK_NEWER_JDK_HOME");
        if (configured != null) {
            candidates.add(Path.of(configured));
        }
        if (Files.isDirectory(INSTALLED)) {
            try (Stream<Path> installed = Files.list(INSTALLED)) {
                installed
                        .sorted(Comparator.comparingInt(Jdks::featureOf).reversed())
                        .forEach(candidates::add);
            } catch (IOException ex) {
                throw new UncheckedIOException("Cannot list the JDKs in " + INSTALLED, ex);
            }
        }
        return candidates.stream()
                .filter(home -> Files.isExecutable(home.resolve("bin/java")) && featureOf(home) >= feature)
                .findFirst();
    }

    /** Returns the feature release in {@code home}'s release file, or 0 if it has none. */
    private static int featureOf(Path home) {
        Path release = home.resolve("release");
        @Nullable String text;
        try {
            text = Files.isReadable(release) ? Files.readString(release) : null;
        } catch (IOException ex) {
            throw new UncheckedIOException("Cannot read " + release, ex);
        }
        if (text == null) {
            return 0;
        }
        Matcher version = JAVA_VERSION.matcher(text);
        return version.find() ? Integer.parseInt(version.group(1)) : 0;
    }
}
