package dev.pigeonhole.standalone;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** The client CLI ({@code PigeonholeCli}) in its own JVM, as a user runs it: a client process a test can SIGKILL. */
final class CliProcess {
    private CliProcess() {}

    /** Starts {@code command} (e.g. {@code send}, {@code flush}) for user/device {@code phone} on {@code server}. */
    static Process start(String server, String user, Path dataDir, String command, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"), "-Xmx128m",
                "-cp", System.getProperty("java.class.path"), "dev.pigeonhole.client.cli.PigeonholeCli", command,
                "--server", server, "--user", user, "--device", "phone", "--data-dir", dataDir.toString(),
                "--ping-interval", "PT1S"));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    }

    /** Reads the process's output until it printed at least the given number of lines with each prefix. */
    static void awaitLines(Process p, Map<String, Integer> counts, Duration timeout) throws IOException {
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        Map<String, Integer> seen = new HashMap<>();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (counts.entrySet().stream().anyMatch(e -> seen.getOrDefault(e.getKey(), 0) < e.getValue())) {
            String line = out.readLine();
            if (line == null || System.nanoTime() > deadline) {
                throw new AssertionError("saw " + seen + ", waiting for " + counts);
            }
            counts.keySet().stream().filter(line::startsWith).forEach(k -> seen.merge(k, 1, Integer::sum));
        }
    }
}
