package dev.pigeonhole.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The kit against the Java SDK's driver ({@code conformance/drivers/java}: the CLI): one test per scenario of
 * {@code conformance/scenarios}, so a failure names its scenario. Runs the driver as a separate process on loopback.
 */
class JavaSdkConformanceTest {
    private static final Path DRIVER = Path.of("drivers", "java").toAbsolutePath();

    /** The driver's launcher builds the CLI when it is missing or stale: do it here, outside the scenarios' timings. */
    @BeforeAll
    static void driverIsReady() throws Exception {
        Process p = new ProcessBuilder(DRIVER.toString(), "--version").inheritIO().start();
        assertThat(p.waitFor(5, TimeUnit.MINUTES)).as("the driver answers --version").isTrue();
        assertThat(p.exitValue()).isZero();
    }

    @TestFactory
    Stream<DynamicTest> scenarios() throws Exception {
        List<Path> scenarios = Kit.scenarios(Path.of("scenarios"));
        assertThat(scenarios).hasSizeGreaterThanOrEqualTo(10);
        // the Java SDK uses WebSocket pings: it declares no ping-frames (drivers/java), so that scenario is skipped
        Set<String> capabilities = Runner.capabilities(List.of(DRIVER.toString()));
        return scenarios.stream().map(s -> DynamicTest.dynamicTest(Kit.name(s), () -> {
            Runner.Result r = Runner.run(List.of(DRIVER.toString()), s, capabilities);
            Assumptions.assumeTrue(r.skipped() == null, r.skipped());
            assertThat(r.failures()).as(Kit.name(s) + " against the Java driver; transcript:\n" + r.transcript()).isEmpty();
        }));
    }
}
