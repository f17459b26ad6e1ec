package dev.pigeonhole.load.server;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * What the load generator can learn about the server process, when told where it is: Prometheus samples from the
 * management interface ({@code /q/metrics}), RSS, threads, file descriptors and CPU time from {@code /proc/<pid>}
 * (same machine only), and a full collection with {@code jcmd <pid> GC.run} so heap figures are live data. Every
 * figure is -1 when its source is not configured or not readable.
 */
public final class ServerProbe {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final long CLK_TCK = clockTicks();

    private final URI management;
    private final long pid;

    /** @param management base URL of the management interface, or null; @param pid the server process, or -1 */
    public ServerProbe(URI management, long pid) {
        this.management = management;
        this.pid = pid;
    }

    public boolean hasProcess() {
        return pid > 0 && Files.exists(Path.of("/proc/" + pid));
    }

    public boolean hasMetrics() {
        return management != null;
    }

    /** One reading of the server. */
    public record Sample(long heapBytes, long directBytes, long nettyDirectBytes, long rssBytes, long threads, long fds) {}

    public Sample sample() {
        String metrics = metrics();
        long heap = metrics == null ? -1 : sum(metrics, "jvm_memory_used_bytes{area=\"heap\"", "");
        long direct = metrics == null ? -1 : sum(metrics, "jvm_buffer_memory_used_bytes{id=\"direct\"", "");
        long netty = metrics == null || !metrics.contains("netty_allocator_memory_used{") ? -1
                : sum(metrics, "netty_allocator_memory_used{", "memory_type=\"direct\"");
        long rss = -1;
        long threads = -1;
        long fds = -1;
        if (hasProcess()) {
            try {
                for (String l : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                    if (l.startsWith("VmRSS:")) {
                        rss = Long.parseLong(l.replaceAll("\\D", "")) * 1024;
                    } else if (l.startsWith("Threads:")) {
                        threads = Long.parseLong(l.replaceAll("\\D", ""));
                    }
                }
                try (Stream<Path> s = Files.list(Path.of("/proc/" + pid + "/fd"))) {
                    fds = s.count();
                }
            } catch (IOException | RuntimeException e) {
                // a process of another user, or gone: leave -1
            }
        }
        return new Sample(heap, direct, netty, rss, threads, fds);
    }

    /** The Prometheus exposition, or null. */
    public String metrics() {
        if (management == null) {
            return null;
        }
        try {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(management.resolve("/q/metrics"))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 ? r.body() : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** Sum of the values of the samples whose line starts with {@code prefix} and contains {@code label}. */
    public static long sum(String metrics, String prefix, String label) {
        return (long) metrics.lines().filter(l -> l.startsWith(prefix) && l.contains(label))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    /** A full collection in the server ({@code jcmd <pid> GC.run}, the JDK's jcmd next to this JVM); false if it could not. */
    public boolean gc() {
        if (!hasProcess()) {
            return false;
        }
        try {
            Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
            Process p = new ProcessBuilder(jcmd.toString(), Long.toString(pid), "GC.run").redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return false;
            }
            Thread.sleep(500);
            return p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** The server's CPU time (user + system) in microseconds, or -1. */
    public long cpuMicros() {
        if (!hasProcess()) {
            return -1;
        }
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 1_000_000L / CLK_TCK;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** This JVM's (the load generator's) CPU time in microseconds, or -1. */
    public static long selfCpuMicros() {
        var os = ManagementFactory.getOperatingSystemMXBean();
        return os instanceof com.sun.management.OperatingSystemMXBean sun ? sun.getProcessCpuTime() / 1000 : -1;
    }

    private static long clockTicks() {
        try {
            Process p = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes()).trim();
            return p.waitFor() == 0 ? Long.parseLong(out) : 100;
        } catch (IOException | RuntimeException e) {
            return 100;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 100;
        }
    }
}
