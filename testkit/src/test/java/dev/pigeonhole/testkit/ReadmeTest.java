package dev.pigeonhole.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The README's copyable example is exactly the example test that runs in this build ({@code com.example.chat.ChatIT}). */
class ReadmeTest {
    private static final Path ROOT = Path.of(System.getProperty("pigeonhole.root", "..")).toAbsolutePath().normalize();

    @Test
    void theReadmeExampleIsTheTestThatRuns() throws Exception {
        String readme = Files.readString(ROOT.resolve("README.md"));
        int section = readme.indexOf("## Testing your app with Testcontainers");
        assertThat(section).as("README section").isPositive();
        int start = readme.indexOf("```java\n", section) + "```java\n".length();
        int end = readme.indexOf("```", start);
        String example = Files.readString(ROOT.resolve("testkit/src/test/java/com/example/chat/ChatIT.java"));
        assertThat(readme.substring(start, end)).isEqualTo(example);
    }
}
