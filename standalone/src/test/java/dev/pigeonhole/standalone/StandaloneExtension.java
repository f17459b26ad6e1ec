package dev.pigeonhole.standalone;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One standalone process (real broker + all services, packaged jar, own JVM) for a test class:
 * {@code @RegisterExtension static final StandaloneExtension pigeonhole = new StandaloneExtension("name");}.
 */
final class StandaloneExtension implements BeforeAllCallback, AfterAllCallback {
    private final String name;
    private final Map<String, String> props;
    private Path root;
    private ServiceProcess process;

    StandaloneExtension(String name) {
        this(name, ServiceProcess.GENEROUS_LIMITS);
    }

    StandaloneExtension(String name, Map<String, String> props) {
        this.name = name;
        this.props = props;
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        root = Files.createTempDirectory("pigeonhole-" + name);
        process = ServiceProcess.standalone(name, EmbeddedKafka.freePort(), root.resolve("server"), props).start()
                .awaitReady(Duration.ofSeconds(90));
    }

    @Override
    public void afterAll(ExtensionContext context) {
        process.kill(); // nothing is checked after the tests; a clean stop is StandaloneRestartIT's subject
        TestFiles.delete(root);
    }

    ServiceProcess process() {
        return process;
    }

    /** The standalone's own data directory (e.g. for its dev signing key). */
    Path serverData() {
        return root.resolve("server");
    }

    /** A scratch directory deleted with the process (e.g. for client data directories). */
    Path dir(String child) {
        return root.resolve(child);
    }
}
