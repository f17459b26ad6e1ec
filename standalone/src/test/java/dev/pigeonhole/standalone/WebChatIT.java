package dev.pigeonhole.standalone;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The standalone's web chat ({@code /}) in a real browser: Debian's Chromium driven by playwright-core (npm, never a
 * downloaded browser) through {@code clients/web/browser-test/web-chat.mjs}, against the packaged standalone with
 * the settings {@code ./pigeonhole} runs with. The script does the clicking and checking and asks this test, on its
 * stdout, to stop and start the server ({@code @@ stop-server} / {@code @@ start-server}, answered on its stdin).
 * Screenshots of every step stay in {@code standalone/target/web-chat/<scenario>/} ({@code web-chat.png}: both
 * screens side by side, the README's picture).
 *
 * <p>Needs Node.js ≥ 20, {@code npm ci} in clients/web (the reactor's client-web module runs it before this module)
 * and Chromium ({@code /usr/bin/chromium}, or {@code $CHROMIUM}). Without them it is skipped, unless
 * {@code PIGEONHOLE_REQUIRE_BROWSER=true} (CI sets it: then it fails).
 */
class WebChatIT {
    private static final Path WEB = ServiceProcess.ROOT.resolve("clients/web");
    private static final Path CHROMIUM = Path.of(System.getenv().getOrDefault("CHROMIUM", "/usr/bin/chromium"));
    private static final Duration READY = Duration.ofSeconds(90);
    private static final Duration RUN = Duration.ofMinutes(4);

    /**
     * Two browser contexts: Alice on a phone-sized screen, Bob on a desktop one. 1:1 with delivered and read marks and
     * unread counts (Bob replies with the keyboard alone); the server is stopped mid-chat, messages queue on both
     * sides, it starts again: each arrives once, in order; a group (create, invitation, join, both ways); Alice
     * offline ({@code context.setOffline(true)}) sends 50 messages, reloads the page offline (the service worker and
     * IndexedDB bring back history and queue), comes back: each arrives once, in order, on both screens and in both
     * devices' stores.
     */
    @Test
    void twoUsersChatThroughOfflineReloadsAndAServerRestart() throws Exception {
        Run run = run("chat");
        assertThat(run.steps()).as(run.output).containsExactly(
                "alice (phone-sized) and bob (desktop, through the user picker) online, pages kept for offline use",
                "one-to-one with delivered and read marks, unread counts, keyboard only",
                "the server stops mid-chat, messages queue on both sides, it starts again: each arrives once, in order",
                "a group: create, invitation, join, messages both ways",
                "Alice offline: 50 messages queued, page reloaded offline, back online: each arrives once, in order");
        assertThat(run.controls).containsExactly("stop-server", "start-server");
        for (String shot : List.of("web-chat.png", "alice-offline-50-queued.png", "alice-reloaded-offline.png")) {
            assertThat(run.out.resolve(shot)).as(shot).isNotEmptyFile();
        }
    }

    /**
     * A second tab of the same user and device joins, then the first (the leader) closes; the other carries on.
     */
    @Test
    void aSecondTabJoinsAndTakesOverWhenTheLeaderTabCloses() throws Exception {
        Run run = run("tabs");
        assertThat(run.steps()).as(run.output).containsExactly(
                "a second tab of the same device joins: both stay up, both show the conversation",
                "the leader tab closes while the other sends 20: each arrives once, in order; it carries on");
    }

    /** What one run of the script printed, and where its screenshots are. */
    private record Run(String output, List<String> controls, Path out) {
        List<String> steps() {
            return output.lines().filter(l -> l.startsWith("STEP ") && l.contains(" ok ("))
                    .map(l -> l.substring("STEP ".length(), l.lastIndexOf(" ok ("))).toList();
        }
    }

    /** Starts a standalone, runs the script's scenario against it, and checks that it passed. */
    private static Run run(String scenario) throws Exception {
        String node = requireBrowser();
        Path data = Files.createTempDirectory("pigeonhole-web-chat-it");
        Path out = ServiceProcess.ROOT.resolve("standalone/target/web-chat/" + scenario);
        TestFiles.delete(out);
        Files.createDirectories(out);
        int port = EmbeddedKafka.freePort();
        // the settings ./pigeonhole runs with: its own limits, dev identity, origin and host checks
        ServiceProcess server = ServiceProcess.standalone("web-chat-" + scenario, port, data, Map.of()).start()
                .awaitReady(READY);
        Process script = null;
        StringBuilder output = new StringBuilder();
        List<String> controls = new ArrayList<>();
        long started = System.nanoTime();
        try {
            script = new ProcessBuilder(node, "browser-test/web-chat.mjs", "--base", "http://127.0.0.1:" + port,
                    "--out", out.toString(), "--scenario", scenario, "--chromium", CHROMIUM.toString())
                    .directory(WEB.toFile()).redirectErrorStream(true).start();
            Process running = script;
            AtomicBoolean timedOut = new AtomicBoolean();
            Thread watchdog = new Thread(() -> {
                try {
                    if (!running.waitFor(RUN.toSeconds(), TimeUnit.SECONDS)) {
                        timedOut.set(true);
                        kill(running);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "web-chat-watchdog");
            watchdog.setDaemon(true);
            watchdog.start();
            try (BufferedReader lines = new BufferedReader(new InputStreamReader(script.getInputStream(), StandardCharsets.UTF_8));
                 Writer answers = new OutputStreamWriter(script.getOutputStream(), StandardCharsets.UTF_8)) {
                String line;
                while ((line = lines.readLine()) != null) {
                    System.out.println("[web-chat " + scenario + "] " + line);
                    output.append(line).append('\n');
                    if (line.startsWith("@@ ")) {
                        String command = line.substring(3).strip();
                        controls.add(command);
                        switch (command) {
                            case "stop-server" -> server.stop(); // SIGTERM, as Ctrl-C: sockets close with 1001
                            case "start-server" -> server.start().awaitReady(READY);
                            default -> throw new AssertionError("unknown request from the script: " + line);
                        }
                        answers.write("@@ " + command + " done\n");
                        answers.flush();
                    }
                }
            }
            int exit = script.waitFor();
            System.out.printf("[web-chat %s] exit %d after %.1f s%n", scenario, exit, (System.nanoTime() - started) / 1e9);
            Files.writeString(out.resolve("output.log"), output);
            assertThat(timedOut.get()).as("the script ran longer than " + RUN + ":\n" + output).isFalse();
            assertThat(exit).as("the script's exit code; output:\n" + output + "screenshots: " + out).isZero();
            assertThat(output.toString()).contains("WEB CHAT OK " + scenario);
            return new Run(output.toString(), controls, out);
        } finally {
            if (script != null) {
                kill(script);
            }
            server.kill();
            TestFiles.delete(data);
        }
    }

    /** The script's process and what it started (Chromium): never left running. */
    private static void kill(Process process) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
    }

    /** The {@code node} to run, or skips the test (fails with {@code PIGEONHOLE_REQUIRE_BROWSER=true}). */
    private static String requireBrowser() {
        String missing = null;
        String node = "node";
        if (!Files.isExecutable(CHROMIUM)) {
            missing = "no Chromium at " + CHROMIUM + " (apt-get install chromium, or set CHROMIUM)";
        } else if (nodeMajor(node) < 20) {
            missing = "no Node.js >= 20 on the PATH";
        } else if (!Files.exists(WEB.resolve("node_modules/playwright-core/package.json"))) {
            missing = "no playwright-core in clients/web/node_modules (npm ci in clients/web)";
        }
        if (missing == null) {
            return node;
        }
        if ("true".equals(System.getenv("PIGEONHOLE_REQUIRE_BROWSER"))) {
            throw new IllegalStateException("PIGEONHOLE_REQUIRE_BROWSER=true but " + missing);
        }
        Assumptions.abort(missing + ": WebChatIT skipped (CI runs it with PIGEONHOLE_REQUIRE_BROWSER=true)");
        return null;
    }

    private static int nodeMajor(String node) {
        try {
            Process p = new ProcessBuilder(node, "-p", "process.versions.node.split('.')[0]").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0 ? Integer.parseInt(out) : 0;
        } catch (IOException | NumberFormatException e) {
            return 0;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
