package dev.pigeonhole.standalone;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One standalone process (real broker + all services, packaged jar, own JVM) for a test class:
 * {@code @RegisterExtension static final StandaloneExtension pigeonhole = new StandaloneExtension("name");}.
 */
final class StandaloneExtension implements BeforeAllCallback, AfterAllCallback {
    private final String name;
    private Path root;
    private ServiceProcess process;

    StandaloneExtension(String name) {
        this.name = name;
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        root = Files.createTempDirectory("pigeonhole-" + name);
        process = ServiceProcess.standalone(name, EmbeddedKafka.freePort(), root.resolve("server")).start()
                .awaitReady(Duration.ofSeconds(90));
    }

    @Override
    public void afterAll(ExtensionContext context) {
        process.stop();
        TestFiles.delete(root);
    }

    ServiceProcess process() {
        return process;
    }

    /** A scratch directory deleted with the process (e.g. for client data directories). */
    Path dir(String child) {
        return root.resolve(child);
    }
}
