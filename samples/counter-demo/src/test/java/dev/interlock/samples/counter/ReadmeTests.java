package dev.interlock.samples.counter;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Tests that README.md stays true: its first code block holds the demo command and the test
 * command that {@code .ci/run} runs, and its configuration table lists every property of the
 * starter with the default the starter's generated metadata gives.
 *
 * @author Interlock team
 */
class ReadmeTests {

    /** The demo command: {@link CounterDemoTests} runs the job it starts. */
    static final String DEMO_COMMAND = "./mvnw -q -pl samples/counter-demo -am spring-boot:run";

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
