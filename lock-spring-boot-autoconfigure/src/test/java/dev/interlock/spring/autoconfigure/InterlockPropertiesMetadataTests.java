package dev.interlock.spring.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.json.JsonParserFactory;
import org.springframework.core.io.ClassPathResource;

/**
 * Tests for the configuration metadata generated for {@link InterlockProperties}: every property
 * is described, and {@code interlock.backend} offers its values.
 *
 * @author Interlock team
 */
class InterlockPropertiesMetadataTests {

    @Test
    void everyInterlockPropertyShouldHaveADescription() throws IOException {
        List<Map<String, Object>> properties = listOf(metadata().get("properties")).stream()
                .filter(property -> ((String) property.get("name")).startsWith("interlock."))
                .toList();
        assertThat(properties)
                .extracting(property -> property.get("name"))
                .contains(
                        "interlock.enabled",
                        "interlock.backend",
                        "interlock.shm.path",
                        "interlock.shm.num-locks",
                        "interlock.shm.mode",
                        "interlock.shm.recovery-timeout",
                        "interlock.shm.allow-foreign-owner",
                        "interlock.file.directory",
                        "interlock.file.mode",
                        "interlock.file.allow-foreign-owner",
                        "interlock.memory.num-locks",
                        "interlock.postgresql.url",
                        "interlock.postgresql.username",
                        "interlock.postgresql.password",
                        "interlock.postgresql.lock-space",
                        "interlock.postgresql.num-locks",
                        "interlock.postgresql.schema",
                        "interlock.postgresql.session-timeout",
                        "interlock.postgresql.heartbeat-interval",
                        "interlock.postgresql.connect-timeout",
                        "interlock.postgresql.max-waiting-sessions",
                        "interlock.postgresql.hand-off-acquisitions",
                        "interlock.postgresql.hand-off-time",
                        "interlock.aspect.enabled",
                        "interlock.aspect.order");
        assertThat(properties)
                .allSatisfy(property -> assertThat((String) property.get("description"))
                        .as("description of %s", property.get("name"))
                        .isNotBlank());
        assertThat(properties)
                .filteredOn(property -> property.get("name").equals("interlock.shm.num-locks"))
                .singleElement()
                .satisfies(property -> assertThat(((Number) property.get("defaultValue")).intValue())
                        .isEqualTo(2048));
    }

    @Test
    void backendShouldHintItsFourValues() throws IOException {
        assertThat(listOf(metadata().get("hints")))
                .filteredOn(hint -> hint.get("name").equals("interlock.backend"))
                .singleElement()
                .satisfies(hint -> assertThat(listOf(hint.get("values")))
                        .extracting(value -> value.get("value"))
                        .containsExactly("shm", "file", "memory", "postgresql"));
    }

    private static Map<String, Object> metadata() throws IOException {
        try (InputStream in = new ClassPathResource("META-INF/spring-configuration-metadata.json").getInputStream()) {
            return JsonParserFactory.getJsonParser().parseMap(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> listOf(Object json) {
        return (List<Map<String, Object>>) json;
    }
}
