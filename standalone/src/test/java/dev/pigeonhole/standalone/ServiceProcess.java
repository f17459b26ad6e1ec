package dev.pigeonhole.standalone;

import dev.pigeonhole.records.InboxPage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/** A Pigeonhole service (or the standalone launcher) run from its packaged jar in a child JVM, on loopback. */
final class ServiceProcess implements AutoCloseable {
    static final Path ROOT = Path.of(System.getProperty("pigeonhole.root", "..")).toAbsolutePath().normalize();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final String name;
    private final Path jar;
    private final Map<String, String> props;
    private final List<String> args;
    final int port;
    /** Health and metrics ({@code quarkus.management.*}): not on the public port. */
    final int managementPort;

    private final Path log;
    /** Environment variables on top of this JVM's (e.g. the Kafka credentials, as on Kubernetes). */
    private final Map<String, String> env = new TreeMap<>();
    private Process process;

    private ServiceProcess(String name, Path jar, Map<String, String> props, List<String> args, int port,
                           int managementPort) {
        this.name = name;
        this.jar = jar;
        this.props = new TreeMap<>(props);
        this.args = args;
        this.port = port;
        this.managementPort = managementPort;
        this.log = ROOT.resolve("standalone/target/it-logs/" + name + ".log");
    }

    /** A service module's app (gateway, router-streams, delivery) with the given config. */
    static ServiceProcess service(String module, String name, int port, Map<String, String> config) {
        Map<String, String> props = new TreeMap<>(GENEROUS_LIMITS);
        props.putAll(config);
        props.put("quarkus.http.port", Integer.toString(port));
        props.put("quarkus.http.host", "127.0.0.1");
        int management = EmbeddedKafka.freePort();
        props.put("quarkus.management.port", Integer.toString(management));
        props.put("quarkus.management.host", "127.0.0.1");
        // the gateway's fs blob store defaults to data/blobs under the working directory: keep it in target/
        props.putIfAbsent("pigeonhole.blobs.dir", ROOT.resolve("standalone/target/it-blobs/" + name).toString());
        return new ServiceProcess(name, ROOT.resolve(module + "/target/quarkus-app/quarkus-run.jar"), props, List.of(), port,
                management);
    }

    /**
     * Limits high enough not to interfere with tests about something else (they send bursts of thousands of
     * frames on one connection). {@code SecurityIT} runs with the defaults.
     */
    static final String INTERNAL_SECRET = "it-internal-secret";

    static final Map<String, String> GENEROUS_LIMITS = Map.of(
            "pigeonhole.internal.secret", INTERNAL_SECRET,
            "pigeonhole.limits.sends-per-second-per-connection", "100000",
            "pigeonhole.limits.send-burst-per-connection", "100000",
            "pigeonhole.limits.sends-per-second-per-user", "100000",
            "pigeonhole.limits.send-burst-per-user", "100000",
            "pigeonhole.limits.connections-per-device", "100",
            "pigeonhole.limits.connections-per-address", "0");

    /** The standalone launcher with {@link #GENEROUS_LIMITS}. */
    static ServiceProcess standalone(String name, int port, Path dataDir) {
        return standalone(name, port, dataDir, GENEROUS_LIMITS);
    }

    /** The standalone launcher with the given system properties (settings). */
    static ServiceProcess standalone(String name, int port, Path dataDir, Map<String, String> props) {
        int management = EmbeddedKafka.freePort();
        return new ServiceProcess(name, ROOT.resolve("standalone/target/quarkus-app/quarkus-run.jar"), props,
                List.of("--port", Integer.toString(port), "--management-port", Integer.toString(management),
                        "--data-dir", dataDir.toString()), port, management);
    }

    /** Sets environment variables for the next {@link #start()}. */
    ServiceProcess env(Map<String, String> variables) {
        env.putAll(variables);
        return this;
    }

    ServiceProcess start() {
        List<String> cmd = javaCommand();
        props.forEach((k, v) -> cmd.add("-D" + k + "=" + v));
        cmd.add("-jar");
        cmd.add(jar.toString());
        cmd.addAll(args);
        process = launch(cmd, log, env);
        return this;
    }

    /**
     * {@code java} with the heap and collector every child JVM of the tests runs with (a pod's share of 2 cores), then
     * the options of {@code -Dpigeonhole.service.jvm-opts} (benchmarks: e.g. a larger heap).
     */
    static List<String> javaCommand() {
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"), "-Xmx384m",
                "-XX:+UseSerialGC"));
        String extra = System.getProperty("pigeonhole.service.jvm-opts", "").strip();
        if (!extra.isEmpty()) {
            cmd.addAll(List.of(extra.split("\\s+")));
        }
        return cmd;
    }

    /** Starts {@code cmd} with stdout and stderr appended to {@code log}. */
    static Process launch(List<String> cmd, Path log) {
        return launch(cmd, log, Map.of());
    }

    static Process launch(List<String> cmd, Path log, Map<String, String> env) {
        try {
            Files.createDirectories(log.getParent());
            ProcessBuilder builder = new ProcessBuilder(cmd);
            builder.environment().putAll(env);
            return builder.redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    ServiceProcess awaitReady(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException(name + " exited with " + process.exitValue() + "; log: " + log);
            }
            try {
                HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(management("/q/health/ready")))
                        .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    return this;
                }
            } catch (IOException e) {
                // not listening yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            sleep(200);
        }
        throw new IllegalStateException(name + " not ready within " + timeout + "; log: " + log);
    }

    /** SIGTERM and wait: a clean stop. */
    void stop() {
        if (process != null && process.isAlive()) {
            process.destroy();
            waitFor();
        }
    }

    /** SIGKILL: the process gets no chance to clean up. */
    void kill() {
        if (process != null && process.isAlive()) {
            process.destroyForcibly();
            waitFor();
        }
    }

    /** The running process's id, or -1 when it is not running. */
    long pid() {
        return process != null && process.isAlive() ? process.pid() : -1;
    }

    /** SIGSTOP: the process freezes (a long GC pause, a stalled VM) and misses its heartbeats; {@link #resume()} wakes it. */
    void pause() {
        signal("STOP");
    }

    /** SIGCONT after {@link #pause()}. */
    void resume() {
        signal("CONT");
    }

    private void signal(String name) {
        try {
            Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO().start();
            if (kill.waitFor() != 0) {
                throw new IllegalStateException("kill -" + name + " " + process.pid() + " failed");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The user's inbox page as the router's read API serves it right now (committed or not); null if it cannot. */
    InboxPage page(String user, String query) {
        try {
            HttpResponse<byte[]> r = HTTP.send(HttpRequest.newBuilder(URI.create(http("/internal/v1/inbox/" + user + "?" + query)))
                    .header("X-Pigeonhole-Internal", INTERNAL_SECRET).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            return r.statusCode() == 200 ? InboxPage.decode(r.body()) : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    String http(String path) {
        return "http://127.0.0.1:" + port + path;
    }

    /** A URL on the management port: {@code /q/health/*}, {@code /q/metrics}. */
    String management(String path) {
        return "http://127.0.0.1:" + managementPort + path;
    }

    String ws(String path) {
        return "ws://127.0.0.1:" + port + path;
    }

    /** Waits until the router's read API reports {@code head} for the user: everything sent is routed and stored. */
    void awaitStored(String user, long head, Duration timeout) {
        awaitPage(user, "limit=1", page -> page.head() >= head, timeout, "head " + head);
    }

    /** Waits until the device's durable cursor (its last applied ack) is {@code seq}. */
    void awaitCursor(String user, String device, long seq, Duration timeout) {
        awaitPage(user, "limit=1&device=" + device, page -> page.after() == seq, timeout, device + " cursor " + seq);
    }

    private void awaitPage(String user, String query, java.util.function.Predicate<InboxPage> done, Duration timeout,
                           String what) {
        long deadline = System.nanoTime() + timeout.toNanos();
        InboxPage seen = null;
        while (System.nanoTime() < deadline) {
            try {
                HttpResponse<byte[]> r = HTTP.send(HttpRequest.newBuilder(
                        URI.create(http("/internal/v1/inbox/" + user + "?" + query)))
                                .header("X-Pigeonhole-Internal", INTERNAL_SECRET).build(),
                        HttpResponse.BodyHandlers.ofByteArray());
                if (r.statusCode() == 200) {
                    seen = InboxPage.decode(r.body());
                    if (done.test(seen)) {
                        return;
                    }
                }
            } catch (IOException e) {
                // retry
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            sleep(50);
        }
        throw new AssertionError(user + "'s inbox did not reach " + what + " within " + timeout + "; last page " + seen);
    }

    /** GET on the management port, e.g. {@code /q/health/ready}; null while nothing answers there. */
    HttpResponse<String> managementGet(String path) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create(management(path))).timeout(Duration.ofSeconds(2)).build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Where the process serves its Prometheus metrics. */
    String metricsUrl() {
        return management("/q/metrics");
    }

    /** The Prometheus exposition, all samples. */
    String metrics() {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create(metricsUrl())).build(), HttpResponse.BodyHandlers.ofString()).body();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The value of one Prometheus sample, e.g. {@code pigeonhole_gateway_connections}; 0 when absent. */
    double metric(String sample) {
        for (String line : metrics().split("\n")) {
            if (line.startsWith(sample + " ")) {
                return Double.parseDouble(line.substring(sample.length() + 1).trim());
            }
        }
        return 0;
    }

    /** The length of the process's log (stdout and stderr, appended over runs) so far: a mark for {@link #logSince}. */
    long logLength() {
        try {
            return Files.exists(log) ? Files.size(log) : 0;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** What the process logged after {@code mark} (a {@link #logLength()}). */
    String logSince(long mark) {
        try (var file = new java.io.RandomAccessFile(log.toFile(), "r")) {
            byte[] tail = new byte[(int) Math.max(0, file.length() - mark)];
            file.seek(mark);
            file.readFully(tail);
            return new String(tail, java.nio.charset.StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void waitFor() {
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        kill();
    }

    @Override
    public String toString() {
        return name + "@" + port;
    }
}
