package dev.pigeonhole.conformance;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pigeonhole.protocol.Json;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Runs one scenario: starts the fault server on an ephemeral port, runs the driver with a fresh data directory,
 * then checks what the scenario's {@code expect} says (exit code, stdout, stderr, connections) and what the server
 * saw (every scripted step played, no unexpected or invalid frame).
 */
public final class Runner {
    public static final String USER = "alice";
    public static final String DEVICE = "phone";
    private static final long DRIVER_TIMEOUT_MS = 30_000;
    private static final Pattern VAR = Pattern.compile("\\$\\{([A-Za-z0-9_]+)}");

    /**
     * The outcome: what failed (empty when it passed) and the server's transcript with the driver's output;
     * {@code skipped} (else null): why the scenario was not run (a requirement the driver does not declare).
     */
    public record Result(List<String> failures, String transcript, long millis, String skipped) {
        public boolean passed() {
            return failures.isEmpty() && skipped == null;
        }
    }

    private Runner() {}

    /**
     * What the driver declares it supports: the lines {@code DRIVER capabilities} prints (e.g. {@code ping-frames});
     * none if that command fails. Scenarios with {@code "requires"} run only for drivers that declare it all.
     */
    public static Set<String> capabilities(List<String> driver) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(driver);
        cmd.add("capabilities");
        Path out = Files.createTempFile("pigeonhole-capabilities-", ".txt");
        try {
            Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile())
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            if (!p.waitFor(DRIVER_TIMEOUT_MS, TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                return Set.of();
            }
            if (p.exitValue() != 0) {
                return Set.of();
            }
            return Files.readAllLines(out, StandardCharsets.UTF_8).stream().map(String::trim)
                    .filter(l -> !l.isEmpty()).collect(Collectors.toCollection(TreeSet::new));
        } finally {
            Files.deleteIfExists(out);
        }
    }

    /** Requirements of the scenario ({@code "requires": [...]}) the driver does not declare. */
    public static List<String> missing(Path scenarioFile, Set<String> capabilities) throws IOException {
        List<String> missing = new ArrayList<>();
        Kit.read(scenarioFile).path("requires").forEach(r -> {
            if (!capabilities.contains(r.asText())) {
                missing.add(r.asText());
            }
        });
        return missing;
    }

    /** Runs the scenario, or skips it when it requires what {@code capabilities} lacks. */
    public static Result run(List<String> driver, Path scenarioFile, Set<String> capabilities)
            throws IOException, InterruptedException {
        List<String> missing = missing(scenarioFile, capabilities);
        if (!missing.isEmpty()) {
            return new Result(List.of(), "", 0, "requires " + String.join(", ", missing)
                    + " (the driver declares " + (capabilities.isEmpty() ? "nothing" : String.join(", ", capabilities)) + ")");
        }
        return run(driver, scenarioFile);
    }

    /** Runs the scenario whatever it requires. */
    public static Result run(List<String> driver, Path scenarioFile) throws IOException, InterruptedException {
        long start = System.nanoTime();
        JsonNode scenario = Kit.read(scenarioFile);
        List<String> failures = new ArrayList<>();
        StringBuffer transcript = new StringBuffer();
        Path dir = Files.createTempDirectory("pigeonhole-conformance-");
        try (FaultServer server = new FaultServer(scenario, 0, FaultServer.DEFAULT_TIMEOUT_MS,
                line -> transcript.append(line).append('\n'))) {
            // "driver" is one run, or a list of runs on the same data directory (each with its own "expect")
            JsonNode d = scenario.path("driver");
            List<JsonNode> runs = new ArrayList<>();
            (d.isArray() ? d : List.of(d)).forEach(runs::add);
            for (int i = 0; i < runs.size() && failures.isEmpty() && server.problems().isEmpty(); i++) {
                JsonNode run = runs.get(i);
                drive(driver, run, run.has("expect") ? run.get("expect") : scenario.path("expect"), server,
                        dir, runs.size() > 1 ? "driver[" + (i + 1) + "]" : "driver", transcript, failures);
            }
            if (!server.awaitScripts(2000)) {
                server.unfinished().forEach(u -> failures.add("the server's script did not get past " + u));
            }
            failures.addAll(0, server.problems());
            for (Iterator<Map.Entry<String, JsonNode>> it = scenario.path("expect").path("connections").fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> c = it.next();
                int n = server.connectionCounts().getOrDefault(c.getKey(), 0);
                if (n != c.getValue().asInt()) {
                    failures.add(n + " connection(s) to /v1/" + c.getKey() + ", expected " + c.getValue().asInt());
                }
            }
        } finally {
            deleteTree(dir);
        }
        return new Result(List.copyOf(failures), transcript.toString(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start),
                null);
    }

    /** Runs the driver once ({@code run}: command, args, stdin) and checks its exit code and output. */
    private static void drive(List<String> driver, JsonNode run, JsonNode expect, FaultServer server, Path dir,
                              String name, StringBuffer transcript, List<String> failures)
            throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(driver);
        cmd.addAll(List.of(run.path("command").asText(), "--server", "ws://127.0.0.1:" + server.port(),
                "--user", USER, "--device", DEVICE, "--data-dir", dir.resolve("data").toString()));
        run.path("args").forEach(a -> cmd.add(a.asText()));
        Path stdin = dir.resolve("stdin");
        StringBuilder lines = new StringBuilder();
        run.path("stdin").forEach(l -> lines.append(l.asText()).append('\n'));
        Files.writeString(stdin, lines);
        Path stdout = dir.resolve("stdout");
        Path stderr = dir.resolve("stderr");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectInput(stdin.toFile())
                .redirectOutput(stdout.toFile()).redirectError(stderr.toFile());
        pb.environment().remove("PIGEONHOLE_TOKEN");
        transcript.append(name).append(" $ ").append(String.join(" ", cmd)).append('\n');
        Process p = pb.start();
        Integer exit = null;
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(DRIVER_TIMEOUT_MS);
        long failedAt = 0;
        // Once the server saw something wrong the scenario has failed: give the driver 1 s more, not 30.
        while (!p.waitFor(100, TimeUnit.MILLISECONDS) && System.nanoTime() < deadline
                && (failedAt == 0 || System.nanoTime() - failedAt < TimeUnit.SECONDS.toNanos(1))) {
            if (failedAt == 0 && !server.problems().isEmpty()) {
                failedAt = System.nanoTime();
            }
        }
        if (!p.isAlive()) {
            exit = p.exitValue();
        } else {
            failures.add(name + (failedAt != 0 ? " was stopped: the scenario had failed"
                    : " did not exit within " + DRIVER_TIMEOUT_MS + " ms"));
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
        Thread.sleep(200); // a frame sent just before the driver exited is still in flight
        List<String> out = Files.readAllLines(stdout, StandardCharsets.UTF_8);
        String err = Files.readString(stderr, StandardCharsets.UTF_8);
        transcript.append(name).append(" exit ").append(exit).append('\n');
        out.forEach(l -> transcript.append(name).append(" stdout| ").append(l).append('\n'));
        err.lines().forEach(l -> transcript.append(name).append(" stderr| ").append(l).append('\n'));
        if (expect.has("exit") && (exit == null || exit != expect.get("exit").asInt())) {
            failures.add(name + " exit code " + exit + ", expected " + expect.get("exit").asInt());
        }
        Map<String, String> vars = server.vars();
        checkStdout(expect.path("stdout"), out, vars, failures);
        for (JsonNode c : expect.path("stderr").path("contains")) {
            String s = substitute(c.asText(), vars, false);
            if (!err.contains(s)) {
                failures.add(name + " stderr does not say " + s);
            }
        }
    }

    /**
     * {@code ordered}: lines that must appear in this order (a regex over the whole line, or an object whose fields
     * a JSON line must have); with {@code only}, no other line may appear. {@code count}: regex → how many lines.
     */
    private static void checkStdout(JsonNode spec, List<String> out, Map<String, String> vars, List<String> failures) {
        int at = 0;
        List<String> unmatched = new ArrayList<>();
        for (JsonNode want : spec.path("ordered")) {
            boolean found = false;
            while (at < out.size() && !found) {
                String line = out.get(at++);
                found = lineMatches(want, line, vars);
                if (!found) {
                    unmatched.add(line);
                }
            }
            if (!found) {
                failures.add("stdout has no line " + describe(want, vars) + " (in order)");
                return;
            }
        }
        unmatched.addAll(out.subList(at, out.size()));
        if (spec.path("only").asBoolean() && !unmatched.isEmpty()) {
            failures.add("stdout has unexpected line(s): " + unmatched);
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = spec.path("count").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> c = it.next();
            Pattern p = Pattern.compile(substitute(c.getKey(), vars, true));
            long n = out.stream().filter(l -> p.matcher(l).matches()).count();
            if (n != c.getValue().asLong()) {
                failures.add("stdout has " + n + " line(s) " + p + ", expected " + c.getValue().asLong());
            }
        }
    }

    private static boolean lineMatches(JsonNode want, String line, Map<String, String> vars) {
        if (want.isTextual()) {
            return Pattern.compile(substitute(want.asText(), vars, true)).matcher(line).matches();
        }
        JsonNode got;
        try {
            got = Json.MAPPER.readTree(line);
        } catch (IOException e) {
            return false;
        }
        if (got == null || !got.isObject()) {
            return false;
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = want.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            JsonNode expected = f.getValue().isTextual()
                    ? Json.MAPPER.getNodeFactory().textNode(substitute(f.getValue().asText(), vars, false)) : f.getValue();
            if (!expected.equals(got.get(f.getKey()))) {
                return false;
            }
        }
        return true;
    }

    private static String describe(JsonNode want, Map<String, String> vars) {
        return want.isTextual() ? "/" + substitute(want.asText(), vars, true) + "/" : want.toString();
    }

    /** Replaces {@code ${name}} by the variables the server bound (quoted when {@code regex}). */
    static String substitute(String s, Map<String, String> vars, boolean regex) {
        Matcher m = VAR.matcher(s);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String v = vars.getOrDefault(m.group(1), "<unbound " + m.group(1) + ">");
            m.appendReplacement(out, Matcher.quoteReplacement(regex ? Pattern.quote(v) : v));
        }
        m.appendTail(out);
        return out.toString();
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
        }
    }
}
