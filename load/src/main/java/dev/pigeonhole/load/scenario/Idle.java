package dev.pigeonhole.load.scenario;

import dev.pigeonhole.load.Target;
import dev.pigeonhole.load.client.InboxClient;
import dev.pigeonhole.load.report.LatencyRecorder;
import dev.pigeonhole.load.report.Report;
import dev.pigeonhole.load.report.Sampler;
import dev.pigeonhole.load.server.CpuWindow;
import dev.pigeonhole.load.server.ServerProbe;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Idle density (S4): opens idle {@code /v1/inbox} connections in steps (each a new user), at most
 * {@code connectRate} per second, and after each step — once all are caught up and the server had
 * {@code quietSeconds} — measures the server: a full collection ({@code jcmd GC.run}) then live heap, JVM direct and
 * Netty direct memory ({@code /q/metrics}), RSS, threads, file descriptors ({@code /proc}), and its CPU over
 * {@code idleSeconds} while the connections idle with heartbeats on (the server pings, the client answers). Figures
 * per connection are differences to the step with none. Point it at ONE delivery instance (or a standalone) and give
 * that process's {@code --management} and {@code --server-pid}; without them only the client-side figures remain.
 */
public final class Idle implements Scenario {
    public record Spec(List<Integer> steps, int connectRate, double idleSeconds, double quietSeconds) {
        public Spec {
            steps = List.copyOf(steps);
            for (int i = 1; i < steps.size(); i++) {
                if (steps.get(i) <= steps.get(i - 1)) {
                    throw new IllegalArgumentException("steps must increase: " + steps);
                }
            }
        }

        public static Spec defaults() {
            return new Spec(List.of(2000, 6000, 12000), 500, 60, 5);
        }
    }

    private static final List<String> COLUMNS = List.of("connections", "live heap MiB", "JVM direct MiB", "Netty direct MiB",
            "RSS MiB", "threads", "fds", "heap KiB/conn", "heap+direct KiB/conn", "RSS KiB/conn", "server CPU at idle % of a core",
            "load generator CPU %", "still open after idle");

    private final Spec spec;

    public Idle(Spec spec) {
        this.spec = spec;
    }

    @Override
    public String name() {
        return "idle";
    }

    @Override
    public Report run(Target target) throws Exception {
        Report.Builder report = new Report.Builder(name(), spec, target.toString());
        ServerProbe probe = new ServerProbe(target.management(), target.serverPid());
        LatencyRecorder connect = new LatencyRecorder("connect → caught_up", report.startNanos());
        InboxClient.Listener timing = new InboxClient.Listener() {
            @Override
            public void onCaughtUp(InboxClient client, long sinceConnectNanos) {
                long now = System.nanoTime();
                connect.record(now - sinceConnectNanos, now);
            }
        };
        int max = spec.steps().isEmpty() ? 0 : spec.steps().get(spec.steps().size() - 1);
        List<List<Object>> rows = new ArrayList<>();
        try (Traffic traffic = new Traffic(target, Traffic.newRunId(), 0, max, false, new int[0][], 128, 500, 30_000,
                report.startNanos(), timing);
             Sampler sampler = new Sampler(report.startNanos(), 1000)) {
            sampler.gauge("connections open", "connections", () -> traffic.wire.open.get())
                    .gauge("clients live (caught up)", "clients", traffic::live);
            Object[] base = measure(probe, 0, traffic);
            rows.add(row(0, base, base, 0));
            int opened = 0;
            for (int step : spec.steps()) {
                long start = System.nanoTime();
                traffic.startInboxes(opened, step, spec.connectRate());
                opened = step;
                boolean all = traffic.awaitLive(step, Duration.ofSeconds(120));
                double seconds = (System.nanoTime() - start) / 1e9;
                report.note(String.format("step %,d: %s caught up after %.1f s (%.0f/s)", step, all ? "all" : traffic.live()
                        + " of them", seconds, step / seconds));
                if (!all) {
                    report.require(false, "only " + traffic.live() + " of " + step + " connections caught up within 120 s");
                    break;
                }
                Object[] m = measure(probe, step, traffic);
                rows.add(row(step, m, base, traffic.live()));
                report.require(traffic.live() == step, (step - traffic.live()) + " of " + step
                        + " connections were not open and live at the end of the idle window");
            }
            report.table(new Report.Table("Server per idle connection", COLUMNS, rows))
                    .figure("connections reached", opened)
                    .figure("drops while idle", traffic.drops.sum())
                    .figure("close codes seen", traffic.closeCodeCounts())
                    .latency(connect);
            sampler.finish().forEach(report::series);
            if (!probe.hasProcess()) {
                report.note("no --server-pid (or not on this machine): no RSS, threads, fds, CPU or forced GC");
            }
            if (!probe.hasMetrics()) {
                report.note("no --management: no heap or direct-memory figures");
            }
            return report.build();
        }
    }

    /** {heap, direct, netty, rss, threads, fds, serverCores, loadgenCores} after a quiet period and a full GC. */
    private Object[] measure(ServerProbe probe, int connections, Traffic traffic) throws InterruptedException {
        Thread.sleep((long) (spec.quietSeconds() * 1000));
        probe.gc();
        ServerProbe.Sample s = probe.sample();
        CpuWindow cpu = CpuWindow.start(probe);
        Thread.sleep((long) (spec.idleSeconds() * 1000));
        CpuWindow.Usage u = cpu.end();
        return new Object[] {s.heapBytes(), s.directBytes(), s.nettyDirectBytes(), s.rssBytes(), s.threads(), s.fds(),
                u.serverCores(), u.loadgenCores()};
    }

    private static List<Object> row(int n, Object[] m, Object[] base, int live) {
        long heap = (long) m[0];
        long direct = (long) m[1];
        long netty = (long) m[2];
        long rss = (long) m[3];
        long nettyDelta = netty >= 0 && (long) base[2] >= 0 ? netty - (long) base[2] : 0;
        return List.of(n, mib(heap), mib(direct), mib(netty), mib(rss), m[4], m[5],
                perConn(heap, (long) base[0], 0, n),
                heap < 0 || direct < 0 ? "-" : perConn(heap + direct, (long) base[0] + (long) base[1], nettyDelta, n),
                perConn(rss, (long) base[3], 0, n),
                (double) m[6] < 0 ? "-" : String.format("%.1f", (double) m[6] * 100),
                (double) m[7] < 0 ? "-" : String.format("%.1f", (double) m[7] * 100), n == 0 ? "-" : live);
    }

    private static String mib(long bytes) {
        return bytes < 0 ? "-" : String.format("%.1f", bytes / 1048576.0);
    }

    private static String perConn(long value, long base, long extra, int n) {
        return n == 0 || value < 0 || base < 0 ? "-" : String.format("%.1f", (value - base + extra) / 1024.0 / n);
    }
}
