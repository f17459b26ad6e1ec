package dev.pigeonhole.standalone.bench;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.Executors;
import java.util.stream.Stream;
import org.HdrHistogram.Histogram;

/** Small helpers shared by the benchmarks: properties, machine line, ports, formatting. */
final class Bench {
    private Bench() {}

    static Path root() {
        return Path.of(System.getProperty("pigeonhole.root", "..")).toAbsolutePath().normalize();
    }

    static int intProp(String name, int def) {
        String v = System.getProperty(name, "");
        return v.isBlank() ? def : Integer.parseInt(v.trim());
    }

    static double doubleProp(String name, double def) {
        String v = System.getProperty(name, "");
        return v.isBlank() ? def : Double.parseDouble(v.trim());
    }

    static boolean boolProp(String name, boolean def) {
        String v = System.getProperty(name, "");
        return v.isBlank() ? def : Boolean.parseBoolean(v.trim());
    }

    static List<Integer> intList(String name, String def) {
        String v = System.getProperty(name, "");
        return Arrays.stream((v.isBlank() ? def : v).split(",")).map(String::trim).filter(s -> !s.isEmpty())
                .map(Integer::parseInt).toList();
    }

    /** {@code bench.stacks=name=/path/quarkus-run.jar,...}; default: this checkout's standalone jar. */
    static Map<String, Path> stacks() {
        String v = System.getProperty("bench.stacks", "");
        if (v.isBlank()) {
            v = "pigeonhole=" + root().resolve("standalone/target/quarkus-app/quarkus-run.jar");
        }
        Map<String, Path> stacks = new LinkedHashMap<>();
        for (String part : v.split(",")) {
            int eq = part.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("bench.stacks: expected name=/path/to/quarkus-run.jar, got " + part);
            }
            Path jar = Path.of(part.substring(eq + 1).trim()).toAbsolutePath();
            if (!Files.isRegularFile(jar)) {
                throw new IllegalArgumentException("bench.stacks: no such jar " + jar);
            }
            stacks.put(part.substring(0, eq).trim(), jar);
        }
        return stacks;
    }

    /** The load generator's HTTP and WebSocket client. */
    static final HttpClient HTTP = httpClient();

    /** A client with a small fixed pool for WebSocket callbacks (the load generator shares the machine's cores). */
    private static HttpClient httpClient() {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5))
                .executor(Executors.newFixedThreadPool(2, r -> {
                    Thread t = new Thread(r, "bench-http");
                    t.setDaemon(true);
                    return t;
                })).build();
    }

    static String machineLine() {
        String cpu = "unknown CPU";
        long ramKb = 0;
        try {
            cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst().orElse(cpu);
            ramKb = Files.readAllLines(Path.of("/proc/meminfo")).stream().filter(l -> l.startsWith("MemTotal:"))
                    .map(l -> Long.parseLong(l.replaceAll("\\D", ""))).findFirst().orElse(0L);
        } catch (IOException | RuntimeException e) {
            // not Linux
        }
        return String.format("machine: %d cores (%s), %.0f GiB RAM, %s %s %s, Java %s (%s); CPU clock tick %d/s%s",
                Runtime.getRuntime().availableProcessors(), cpu, ramKb / 1024.0 / 1024.0, System.getProperty("os.name"),
                System.getProperty("os.version"), System.getProperty("os.arch"), System.getProperty("java.version"),
                System.getProperty("java.vm.name"), Cpu.CLK_TCK, Cpu.CLK_TCK_ASSUMED ? " (assumed: getconf failed)" : "");
    }

    static String date() {
        return ZonedDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME.withZone(java.time.ZoneOffset.UTC))
                .substring(0, 19) + "Z";
    }

    /** The command that reproduces this run: the Maven invocation with every bench.* property this JVM got. */
    static String command(String profile) {
        StringBuilder s = new StringBuilder("./mvnw -B -P" + profile + " -pl standalone -am verify -DskipTests");
        for (String name : new TreeSet<>(System.getProperties().stringPropertyNames())) {
            String v = System.getProperty(name);
            if (name.startsWith("bench.") && !v.isBlank()) {
                s.append(v.contains(" ") ? " '-D" + name + "=" + v + "'" : " -D" + name + "=" + v);
            }
        }
        return s.toString();
    }

    static String pct(Histogram h, double... percentiles) {
        if (h.getTotalCount() == 0) {
            return "-";
        }
        List<String> parts = new ArrayList<>();
        for (double p : percentiles) {
            parts.add(ms(p >= 100 ? h.getMaxValue() : h.getValueAtPercentile(p)));
        }
        return String.join(" / ", parts);
    }

    /** Microseconds as milliseconds with one decimal. */
    static String ms(long micros) {
        return String.format("%.1f", micros / 1000.0);
    }

    static double median(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        return v.length == 0 ? Double.NaN : v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    static String num(double v) {
        return Double.isNaN(v) ? "-" : String.format("%,.0f", v);
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    static void deleteTree(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            System.out.println("warning: could not delete " + dir + ": " + e);
        }
    }

    /** Parks until {@code nanoTime} (Thread.sleep would round up to whole milliseconds). */
    static void sleepUntil(long nanoTime) throws InterruptedException {
        for (long wait = nanoTime - System.nanoTime(); wait > 0; wait = nanoTime - System.nanoTime()) {
            java.util.concurrent.locks.LockSupport.parkNanos(wait);
            if (Thread.interrupted()) {
                throw new InterruptedException();
            }
        }
    }
}
