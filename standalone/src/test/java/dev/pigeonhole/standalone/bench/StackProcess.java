package dev.pigeonhole.standalone.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One standalone stack (embedded broker + router + gateway + delivery) in a child JVM with its own ports and a fresh
 * temporary data directory.
 */
final class StackProcess implements AutoCloseable {
    /**
     * The per-connection and per-user send limits (100 and 200 sends/s) would measure the limiter, not the stack: the
     * benchmarks' users send far faster than people. {@code -Dbench.keepSendLimits=true} keeps the stack's limits.
     */
    static final String NO_SEND_LIMITS = "-Dpigeonhole.limits.sends-per-second-per-connection=1000000"
            + " -Dpigeonhole.limits.send-burst-per-connection=1000000"
            + " -Dpigeonhole.limits.sends-per-second-per-user=1000000 -Dpigeonhole.limits.send-burst-per-user=1000000";

    final String name;
    final int port;
    final int kafkaPort;
    /** Health and metrics; a stack jar from before the management port serves them on {@link #port}. */
    final int managementPort;
    final Path log;
    private final Process process;
    private final Path data;

    private StackProcess(String name, Process process, int port, int managementPort, int kafkaPort, Path data, Path log) {
        this.name = name;
        this.process = process;
        this.port = port;
        this.managementPort = managementPort;
        this.kafkaPort = kafkaPort;
        this.data = data;
        this.log = log;
    }

    /** The benchmark's groups are managed by the benchmark: members join at once, without invitations. */
    static final String OPEN_GROUPS = "-Dpigeonhole.gateway.group-consent=open";

    /** Every benchmark client connects from 127.0.0.1: more than the per-address cap (1,000) of one stack. */
    static final String ONE_ADDRESS = "-Dpigeonhole.limits.connections-per-address=0";

    /** The options every stack JVM gets besides the jar's flags. */
    static String options() {
        return ("-Xmx1g " + OPEN_GROUPS + " " + ONE_ADDRESS + " " + (Bench.boolProp("bench.keepSendLimits", false) ? "" : NO_SEND_LIMITS) + " "
                + System.getProperty("bench.stack.opts", "")).trim().replaceAll("\\s+", " ");
    }

    static StackProcess start(String name, Path jar, String logPrefix) throws Exception {
        return start(name, jar, logPrefix, Files.createTempDirectory("pigeonhole-bench-" + name), options());
    }

    /** A stack with its data in {@code data} (deleted by {@link #close()}) and exactly these JVM {@code options}. */
    static StackProcess start(String name, Path jar, String logPrefix, Path data, String options) throws Exception {
        Files.createDirectories(data);
        Path log = Bench.root().resolve("standalone/target/" + logPrefix + "-" + name + ".log");
        int port = Bench.freePort();
        int kafkaPort = Bench.freePort();
        int managementPort = Bench.freePort();
        List<String> cmd = new ArrayList<>(List.of(javaBin(), "-Dquarkus.management.port=" + managementPort));
        if (!options.isBlank()) {
            cmd.addAll(List.of(options.trim().split("\\s+")));
        }
        cmd.addAll(List.of("-jar", jar.toString(), "--port", Integer.toString(port), "--kafka-port",
                Integer.toString(kafkaPort), "--data-dir", data.toString()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        StackProcess stack = new StackProcess(name, p, port, managementPort, kafkaPort, data, log);
        try {
            stack.awaitReady();
        } catch (Exception e) {
            stack.close();
            throw e;
        }
        return stack;
    }

    long pid() {
        return process.pid();
    }

    String http() {
        return "http://127.0.0.1:" + port;
    }

    String ws() {
        return "ws://127.0.0.1:" + port;
    }

    String bootstrap() {
        return "127.0.0.1:" + kafkaPort;
    }

    void checkAlive() {
        if (!process.isAlive()) {
            throw new IllegalStateException("stack " + name + " exited with " + process.exitValue() + "; see " + log);
        }
    }

    private void awaitReady() throws Exception {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
        while (System.nanoTime() < deadline) {
            checkAlive();
            try {
                for (int p : new int[] {managementPort, port}) {
                    if (http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + p + "/q/health/ready")).build(),
                            HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                        return;
                    }
                }
            } catch (IOException e) {
                // starting
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("stack " + name + " not ready after 180 s; see " + log);
    }

    /**
     * Waits until the stack's CPU use over a second falls to {@code maxCores} (work left from an earlier run, such as a
     * router backlog, would otherwise be measured in the next one), at most {@code timeoutSeconds}; returns a note.
     */
    String awaitQuiet() throws InterruptedException {
        return awaitQuiet(Bench.doubleProp("bench.quietCores", 0.3), Bench.intProp("bench.quietSeconds", 30));
    }

    String awaitQuiet(double maxCores, int timeoutSeconds) throws InterruptedException {
        return awaitQuiet(pid(), this::checkAlive, maxCores, timeoutSeconds);
    }

    /** {@link #awaitQuiet(double, int)} for any process. */
    static String awaitQuiet(long pid, Runnable checkAlive, double maxCores, int timeoutSeconds) throws InterruptedException {
        long start = System.nanoTime();
        double cores;
        do {
            checkAlive.run();
            long cpu0 = Cpu.processMicros(pid);
            long t0 = System.nanoTime();
            Thread.sleep(1000);
            cores = (Cpu.processMicros(pid) - cpu0) / ((System.nanoTime() - t0) / 1e3);
        } while (cores > maxCores && System.nanoTime() - start < TimeUnit.SECONDS.toNanos(timeoutSeconds));
        return String.format("stack at %.2f cores before the run (waited %.0f s%s)", cores, (System.nanoTime() - start) / 1e9,
                cores > maxCores ? ", still busy: the run starts anyway" : "");
    }

    /** ERROR and WARN line counts of the stack's log, for the report. */
    String logSummary() {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.format("%d ERROR, %d WARN lines in %s", lines.stream().filter(l -> l.contains(" ERROR ")).count(),
                    lines.stream().filter(l -> l.contains(" WARN ")).count(), log);
        } catch (IOException e) {
            return "log unreadable: " + e;
        }
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        Bench.deleteTree(data);
    }

    private static String javaBin() {
        return ProcessHandle.current().info().command().orElse("java");
    }
}
