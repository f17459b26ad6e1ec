package dev.pigeonhole.testkit;

import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.testcontainers.DockerClientFactory;

/**
 * Before every integration test class (registered for failsafe only, through {@code META-INF/services} and
 * {@code junit.jupiter.extensions.autodetection.enabled}): without a Docker engine the class is skipped, unless
 * {@code PIGEONHOLE_REQUIRE_DOCKER=true} (CI sets it), as {@code deploy}'s ImagesIT; with one, the images are built
 * from the packaged apps once per test JVM ({@code deploy/build-images.sh --kafka --standalone}), so a clean clone
 * tests what it contains, never a stale or pulled image. The example test ({@code com.example.chat.ChatIT}) stays
 * exactly what a user copies.
 */
public final class LocalImages implements BeforeAllCallback {
    static final Path ROOT = Path.of(System.getProperty("pigeonhole.root", "..")).toAbsolutePath().normalize();
    private static Boolean built;

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        boolean docker;
        try {
            docker = DockerClientFactory.instance().isDockerAvailable();
        } catch (RuntimeException e) {
            docker = false;
        }
        if (!docker) {
            if ("true".equals(System.getenv("PIGEONHOLE_REQUIRE_DOCKER"))) {
                throw new IllegalStateException("PIGEONHOLE_REQUIRE_DOCKER=true but no Docker engine is reachable");
            }
            Assumptions.abort("no Docker engine: skipped (CI runs it with PIGEONHOLE_REQUIRE_DOCKER=true)");
        }
        build();
    }

    /** Builds the images once per JVM ({@link ChaosRun} too). */
    static synchronized void build() throws Exception {
        if (built == null) {
            ProcessBuilder build = new ProcessBuilder(ROOT.resolve("deploy/build-images.sh").toString(), "--kafka",
                    "--standalone").directory(ROOT.toFile()).inheritIO();
            build.environment().put("BASE_IMAGE",
                    System.getenv().getOrDefault("PIGEONHOLE_BASE_IMAGE", "pigeonhole/jre17-base:local"));
            long start = System.nanoTime();
            built = build.start().waitFor() == 0;
            System.out.printf("deploy/build-images.sh --kafka --standalone: %s in %.1f s%n", built ? "ok" : "FAILED",
                    (System.nanoTime() - start) / 1e9);
        }
        if (!built) {
            throw new IllegalStateException("deploy/build-images.sh --kafka --standalone failed");
        }
    }
}
