package dev.interlock.spring.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.springframework.mock.env.MockEnvironment;

/**
 * Tests for {@link DefaultStorageNames}.
 *
 * @author Interlock team
 */
class DefaultStorageNamesTests {

    private final String user = DefaultStorageNames.sanitize(System.getProperty("user.name"));

    @Test
    void shmPathShouldComeFromUserAndApplicationName() {
        MockEnvironment environment = new MockEnvironment().withProperty("spring.application.name", "orders");
        assertThat(DefaultStorageNames.shmPath(environment)).isEqualTo("/interlock-" + user + "-orders");
    }

    @Test
    void missingApplicationNameShouldFallBackToApplication() {
        assertThat(DefaultStorageNames.shmPath(new MockEnvironment())).isEqualTo("/interlock-" + user + "-application");
        assertThat(DefaultStorageNames.fileDirectory(new MockEnvironment()))
                .isEqualTo(Path.of(System.getProperty("java.io.tmpdir"), "interlock-" + user + "-application"));
    }

    @Test
    void applicationNameWithSlashesAndSpacesShouldBeSanitized() {
        MockEnvironment environment = new MockEnvironment().withProperty("spring.application.name", "a/b c:é");
        assertThat(DefaultStorageNames.shmPath(environment)).isEqualTo("/interlock-" + user + "-a_b_c__");
    }

    @Test
    void longNamesShouldBeCutToStayAValidSegmentName() {
        MockEnvironment environment = new MockEnvironment().withProperty("spring.application.name", "x".repeat(400));
        assertThat(DefaultStorageNames.shmPath(environment)).hasSizeLessThanOrEqualTo(255);
    }
}
