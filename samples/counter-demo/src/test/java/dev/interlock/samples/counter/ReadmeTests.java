package dev.interlock.samples.counter;

import static org.assertj.core.api.Assertions.assertThat;

import dev.interlock.shm.SHMLockManager;
import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Tests that README.md stays true: its first code block holds the demo command and the test
 * command that {@code .ci/run} runs, the demo command itself works from the repository root, and
 * the configuration table lists every property of the starter with the default the starter's
 * generated metadata gives.
 *
 * @author Interlock team
 */
class ReadmeTests {

    /** The demo command, run as it is by {@link #demoCommandShouldCountExactlyAndExitWithZero}. */
    static final String DEMO_COMMAND = "./mvnw -q -pl samples/counter-demo -am spring-boot:run";

    /** A nested Maven build that starts six JVMs on a busy 2-core machine. */
    private static final Duration DEMO_COMMAND_LIMIT = Duration.ofSeconds(240);

    private static final Pattern FENCE = Pattern.compile("^```");

    /** A configuration table row: property, default, meaning. */
    private static final Pattern PROPERTY_ROW = Pattern.compile("^\\| `(interlock\\.[a-z.-]+)` \\| ([^|]*) \\|");

    private static final String CONFIGURATION_SECTION = "## Configuration reference";

    private static final Path ROOT = repositoryRoot();

    @Test
    void firstCodeBlockShouldHoldTheDemoCommandThenTheCommandThatCiRuns() throws IOException {
        List<String> ciLines = Files.readAllLines(ROOT.resolve(".ci/run")).stream()
                .filter(line -> !line.isBlank())
                .toList();
        String ciCommand = ciLines.get(ciLines.size() - 1);

        assertThat(firstCodeBlock()).containsExactly(DEMO_COMMAND, ciCommand);
    }

    /**
     * Runs the README's demo command word for word in the repository root, as a newcomer would:
     * a nested Maven build whose {@code -am} must build what the demo needs and whose {@code
     * spring-boot:run} classpath must let the job start its workers. Only the environment differs,
     * so that the run has lock storage and a work directory of its own.
     */
    @Test
    void demoCommandShouldCountExactlyAndExitWithZero(@TempDir Path workDir) throws Exception {
        String shmPath = "/interlock-demo-test-" + UUID.randomUUID();
        ProcessBuilder builder = new ProcessBuilder("bash", "-c", DEMO_COMMAND)
                .directory(ROOT.toFile())
                .redirectErrorStream(true)
                .redirectOutput(workDir.resolve("demo.log").toFile());
        // Spring Boot binds INTERLOCK_SHM_PATH to interlock.shm.path, and so on; workers inherit them.
        builder.environment().put("INTERLOCK_SHM_PATH", shmPath);
        builder.environment()
                .put("INTERLOCK_FILE_DIRECTORY", workDir.resolve("locks").toString());
        builder.environment().put("DEMO_WORK_DIR", workDir.toString());
        Process demo = builder.start();
        try {
            boolean exited = demo.waitFor(DEMO_COMMAND_LIMIT.toMillis(), TimeUnit.MILLISECONDS);
            String output = Files.readString(workDir.resolve("demo.log"));
            assertThat(exited)
                    .as("demo command ended within %s; output:%n%s", DEMO_COMMAND_LIMIT, output)
                    .isTrue();
            assertThat(demo.exitValue()).as("exit code; output:%n%s", output).isZero();
            assertThat(output)
                    .containsPattern("  count: +expected ([0-9,]+) \\(.*\\), actual \\1: exact")
                    .containsPattern("  recovery: +worker \\d+ \\(pid \\d+\\) got the lock ");
        } finally {
            demo.descendants().forEach(ProcessHandle::destroyForcibly);
            demo.destroyForcibly();
            SHMLockManager.unlink(shmPath);
        }
    }

    @Test
    void configurationTableShouldListEveryStarterPropertyWithItsDefault() throws IOException {
        Map<String, String> documented = new TreeMap<>();
        for (String line : section(CONFIGURATION_SECTION)) {
            Matcher row = PROPERTY_ROW.matcher(line);
            if (row.find()) {
                documented.put(row.group(1), row.group(2).trim());
            }
        }
        Map<String, String> defaults = starterPropertyDefaults();

        assertThat(documented.keySet()).containsExactlyInAnyOrderElementsOf(defaults.keySet());
        defaults.forEach((property, value) -> {
            if (!value.isEmpty()) {
                assertThat(documented.get(property))
                        .as("README default of %s", property)
                        .contains("`" + value + "`");
            }
        });
    }

    /** Reads the lines of the README section with the given heading, up to the next one. */
    private static List<String> section(String heading) throws IOException {
        List<String> lines = Files.readAllLines(ROOT.resolve("README.md"));
        int start = lines.indexOf(heading);
        assertThat(start).as("README section %s", heading).isNotNegative();
        int end = start + 1;
        while (end < lines.size() && !lines.get(end).startsWith("## ")) {
            end++;
        }
        return lines.subList(start + 1, end);
    }

    /** Reads the lines of README's first fenced code block. */
    private static List<String> firstCodeBlock() throws IOException {
        List<String> block = new ArrayList<>();
        boolean inside = false;
        for (String line : Files.readAllLines(ROOT.resolve("README.md"))) {
            if (FENCE.matcher(line).find()) {
                if (inside) {
                    return block;
                }
                inside = true;
            } else if (inside) {
                block.add(line);
            }
        }
        throw new AssertionError("README.md has no complete fenced code block");
    }

    /**
     * Returns every {@code interlock.*} property in the configuration metadata on the classpath,
     * with its default value as text, or an empty text when the metadata gives none.
     */
    private static Map<String, String> starterPropertyDefaults() throws IOException {
        Map<String, String> defaults = new TreeMap<>();
        JsonMapper json = JsonMapper.builder().build();
        for (URL resource : Collections.list(
                ReadmeTests.class.getClassLoader().getResources("META-INF/spring-configuration-metadata.json"))) {
            try (InputStream in = resource.openStream()) {
                for (JsonNode property : json.readTree(in).path("properties")) {
                    String name = property.path("name").asString();
                    if (name.startsWith("interlock.")) {
                        JsonNode value = property.path("defaultValue");
                        defaults.put(name, value.isMissingNode() ? "" : value.asString());
                    }
                }
            }
        }
        assertThat(defaults)
                .as("interlock.* properties in the starter's metadata")
                .isNotEmpty();
        return defaults;
    }

    /** Walks up from the module directory, where the build runs the tests, to the repository root. */
    private static Path repositoryRoot() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve(".ci/run")) && Files.isRegularFile(dir.resolve("README.md"))) {
                return dir;
            }
        }
        throw new IllegalStateException(
                "No directory above " + Path.of("").toAbsolutePath() + " holds .ci/run and README.md");
    }
}
