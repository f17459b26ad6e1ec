package dev.pigeonhole.conformance;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pigeonhole.protocol.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The two commands of the kit (conformance/README.md):
 * <pre>
 * fault-server SCENARIO [--port N]                 plays one scenario; prints the server URL, then what happens
 * run --driver CMD [--scenarios DIR] [-v] [NAME…]  runs the driver against every scenario: PASS/FAIL each, summary
 * </pre>
 */
public final class Kit {
    private Kit() {}

    public static void main(String... args) throws Exception {
        if (args.length >= 2 && args[0].equals("serve")) {
            System.exit(serve(args));
        } else if (args.length >= 1 && args[0].equals("run")) {
            System.exit(run(args));
        }
        System.err.println("usage: fault-server SCENARIO [--port N]\n"
                + "       run --driver CMD [--scenarios DIR] [-v] [SCENARIO...]");
        System.exit(2);
    }

    /** The scenarios shipped with the kit, by name (file name without .json), sorted. */
    public static List<Path> scenarios(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.toString().endsWith(".json")).sorted(Comparator.comparing(Path::toString)).toList();
        }
    }

    static String name(Path scenario) {
        String f = scenario.getFileName().toString();
        return f.substring(0, f.length() - ".json".length());
    }

    static JsonNode read(Path scenario) throws IOException {
        return Json.MAPPER.readTree(Files.readString(scenario, StandardCharsets.UTF_8));
    }

    private static Path scenarioPath(Path dir, String nameOrFile) {
        Path p = Path.of(nameOrFile);
        return Files.exists(p) ? p : dir.resolve(nameOrFile + ".json");
    }

    private static Path defaultScenarios() {
        return Path.of(System.getProperty("conformance.home", "conformance")).resolve("scenarios");
    }

    private static int serve(String[] args) throws Exception {
        int port = 0;
        for (int i = 2; i < args.length; i++) {
            if (args[i].equals("--port") && i + 1 < args.length) {
                port = Integer.parseInt(args[++i]);
            }
        }
        Path file = scenarioPath(defaultScenarios(), args[1]);
        JsonNode scenario = read(file);
        // a person starts the driver by hand: give each step minutes rather than seconds
        try (FaultServer server = new FaultServer(scenario, port, TimeUnit.MINUTES.toMillis(5),
                line -> System.err.println("  " + line))) {
            System.out.println("ws://127.0.0.1:" + server.port());
            System.out.flush();
            System.err.println("playing " + name(file) + ": " + scenario.path("checks").asText());
            System.err.println("driver: " + scenario.path("driver").toString());
            boolean done = server.awaitScripts(TimeUnit.MINUTES.toMillis(10));
            Thread.sleep(1000); // frames sent right after the script are still checked
            List<String> problems = new ArrayList<>(server.problems());
            if (!done) {
                server.unfinished().forEach(u -> problems.add("script did not end: " + u));
            }
            System.err.println(problems.isEmpty() ? "server side: PASS (exit code and output are checked by run)"
                    : "server side: FAIL\n  " + String.join("\n  ", problems));
            return problems.isEmpty() ? 0 : 1;
        }
    }

    private static int run(String[] args) throws Exception {
        String driver = null;
        Path dir = defaultScenarios();
        boolean verbose = false;
        List<String> names = new ArrayList<>();
        for (int i = 1; i < args.length; i++) {
            switch (args[i]) {
                case "--driver" -> driver = args[++i];
                case "--scenarios" -> dir = Path.of(args[++i]);
                case "-v", "--verbose" -> verbose = true;
                default -> names.add(args[i]);
            }
        }
        if (driver == null) {
            System.err.println("run: --driver CMD is required");
            return 2;
        }
        List<Path> files = new ArrayList<>();
        if (names.isEmpty()) {
            files.addAll(scenarios(dir));
        } else {
            for (String n : names) {
                files.add(scenarioPath(dir, n));
            }
        }
        int passed = 0;
        int failed = 0;
        int skipped = 0;
        boolean anyRequires = false;
        for (Path f : files) {
            anyRequires |= read(f).has("requires");
        }
        java.util.Set<String> capabilities = anyRequires ? Runner.capabilities(List.of(driver)) : java.util.Set.of();
        for (Path f : files) {
            Runner.Result r = Runner.run(List.of(driver), f, capabilities);
            if (r.skipped() != null) {
                System.out.println("SKIP " + name(f) + "  " + r.skipped());
                skipped++;
                continue;
            }
            System.out.println((r.passed() ? "PASS " : "FAIL ") + name(f) + "  (" + r.millis() + " ms)");
            if (!r.passed()) {
                r.failures().forEach(x -> System.out.println("     - " + x));
            }
            if (verbose || !r.passed()) {
                System.out.println(r.transcript().indent(6));
            }
            if (r.passed()) {
                passed++;
            } else {
                failed++;
            }
        }
        System.out.println(passed + " passed, " + failed + " failed" + (skipped > 0 ? ", " + skipped + " skipped" : ""));
        return failed == 0 ? 0 : 1;
    }
}
