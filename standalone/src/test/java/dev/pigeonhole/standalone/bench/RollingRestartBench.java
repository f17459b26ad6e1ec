package dev.pigeonhole.standalone.bench;

import dev.pigeonhole.load.Auth;
import dev.pigeonhole.load.Target;
import dev.pigeonhole.load.client.Frame;
import dev.pigeonhole.load.client.InboxClient;
import dev.pigeonhole.load.report.Report;
import dev.pigeonhole.load.report.ReportWriter;
import dev.pigeonhole.load.scenario.Chaos;
import dev.pigeonhole.standalone.ProcessCluster;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.HdrHistogram.Histogram;

/**
 * A rolling restart of the routers under steady traffic, the way the chart's StatefulSet does it: {@code bench.routers}
 * (3) routers with the chart's settings (static membership: {@code group.instance.id} = the instance's name;
 * {@code standby-replicas} 1, {@code stream-threads} 2, {@code commit-interval-ms} 100, {@code bench.partitions} (12)
 * partitions), a gateway and a delivery instance reading through a {@link Balancer} in front of the routers (the
 * router Service), each in its own JVM. pigeonhole-load's chaos scenario keeps {@code bench.users} (40) users sending
 * to each other at {@code bench.rate} (100) msg/s with their inboxes connected; its faults are the restarts, one router
 * after the other: out of the Service, SIGTERM, wait for the exit, start again with the same id and state directory,
 * wait until {@code /q/health/ready} is UP (caught up), back into the Service, then {@code bench.minReadySeconds}
 * (10 s) before the next. The same roll runs once per {@code bench.sessionTimeouts} (60000,10000: the chart's value and
 * the router's old default), each on a fresh cluster, so the two show side by side.
 *
 * Before the roll, {@code bench.warmupSeconds} (60) of traffic: on two cores a fresh stack of six JVMs is still
 * compiling and working off its start for the first minute.
 *
 * <p>Per restart: SIGTERM → exit, start → ready, group rebalances (generations of the Streams group and of the outbox
 * relay's own consumer group, read from the routers' coordinator log lines, and transitions RUNNING → REBALANCING), live delivery latency (intended send →
 * delivered: p50, p99, max) and the longest time any one inbox went without a delivery (each gets one every
 * {@code users / rate} s), and lost / duplicated / reordered (the chaos scenario's ledger). Reports (JSON, HTML, text)
 * per setting in {@code standalone/target/load-reports/rolling-restart/}.
 *
 * <pre>
 * ./mvnw -B -Prolling-restart-bench -pl standalone -am verify -DskipTests [-Dbench.sessionTimeouts=60000,10000
 *     -Dbench.users=40 -Dbench.rate=100 -Dbench.routers=3 -Dbench.partitions=12 -Dbench.minReadySeconds=10
 *     -Dbench.warmupSeconds=60 -Dbench.service.opts=...]
 * </pre>
 */
public final class RollingRestartBench {
    /** The Kafka Streams group (the application id) and the outbox relay's own consumer group. */
    private static final Pattern GENERATION = Pattern.compile(
            "groupId=[^,\\]]*?(-outbox-relay)?\\] Successfully joined group with generation Generation\\{generationId=(\\d+)");
    private static final String REBALANCING = "State transition from RUNNING to REBALANCING";

    private RollingRestartBench() {}

    private static Path reports() {
        return Bench.root().resolve("standalone/target/load-reports/rolling-restart");
    }

    /** Deliveries in one window of the run: latency, and the longest stretch any inbox waited for its next entry. */
    static final class Window {
        final String name;
        final Histogram latency = new Histogram(3_600_000_000L, 3);
        long longestGapNanos;
        String longestGapInbox = "-";
        int inboxesGapOver2s;
        final Map<String, Object> restart = new LinkedHashMap<>();

        Window(String name) {
            this.name = name;
        }
    }

    /** Watches every delivery; {@link #open} starts the next window. */
    static final class Watch implements InboxClient.Listener {
        private final Map<InboxClient, Long> last = new java.util.HashMap<>();
        private final java.util.Set<InboxClient> overInWindow = new java.util.HashSet<>();
        final List<Window> windows = new ArrayList<>();
        private Window current;

        synchronized Window open(String name) {
            current = new Window(name);
            windows.add(current);
            overInWindow.clear();
            return current;
        }

        @Override
        public synchronized void onMessage(InboxClient client, Frame f, long arrivedNanos) {
            if (f.own || f.t <= 0 || current == null) {
                return;
            }
            current.latency.recordValue(Math.min(3_600_000_000L, Math.max(1, (arrivedNanos - f.t) / 1000)));
            Long before = last.put(client, arrivedNanos);
            if (before != null) {
                long gap = arrivedNanos - before;
                if (gap > current.longestGapNanos) {
                    current.longestGapNanos = gap;
                    current.longestGapInbox = client.user();
                }
                if (gap > 2_000_000_000L && overInWindow.add(client)) {
                    current.inboxesGapOver2s++;
                }
            }
        }
    }

    /**
     * The highest generation of the Streams group, the RUNNING → REBALANCING transitions, and the highest generation of
     * the outbox relay's group, logged since the marks.
     */
    static long[] groupState(List<ProcessCluster.Instance> routers, long[] marks) {
        long generation = 0;
        long rebalancing = 0;
        long relay = 0;
        for (int i = 0; i < routers.size(); i++) {
            String log = routers.get(i).logSince(marks[i]);
            Matcher m = GENERATION.matcher(log);
            while (m.find()) {
                if (m.group(1) == null) {
                    generation = Math.max(generation, Long.parseLong(m.group(2)));
                } else {
                    relay = Math.max(relay, Long.parseLong(m.group(2)));
                }
            }
            int at = -1;
            while ((at = log.indexOf(REBALANCING, at + 1)) >= 0) {
                rebalancing++;
            }
        }
        return new long[] {generation, rebalancing, relay};
    }

    static long[] marks(List<ProcessCluster.Instance> routers) {
        return routers.stream().mapToLong(ProcessCluster.Instance::logLength).toArray();
    }

    public static void main(String[] args) throws Exception {
        List<Integer> timeouts = Bench.intList("bench.sessionTimeouts", "60000,10000");
        String serviceOpts = System.getProperty("bench.service.opts", "").trim();
        if (!serviceOpts.isEmpty()) {
            System.setProperty("pigeonhole.service.jvm-opts", serviceOpts);
        }
        System.out.println(Bench.machineLine());
        System.out.println("date: " + Bench.date() + "; command: " + Bench.command("rolling-restart-bench"));
        List<String> summary = new ArrayList<>();
        boolean passed = true;
        for (int timeout : timeouts) {
            Report report = runOnce(timeout, summary);
            passed &= report.passed();
        }
        StringBuilder s = new StringBuilder();
        s.append(Bench.machineLine()).append('\n').append("date: ").append(Bench.date()).append("; command: ")
                .append(Bench.command("rolling-restart-bench")).append('\n');
        summary.forEach(line -> s.append(line).append('\n'));
        Files.createDirectories(reports());
        Files.writeString(reports().resolve("summary.txt"), s.toString());
        System.out.println("\n=== rolling restart, side by side ===\n" + s);
        System.exit(passed ? 0 : 1);
    }

    private static Report runOnce(int sessionTimeoutMs, List<String> summary) throws Exception {
        int users = Bench.intProp("bench.users", 40);
        double rate = Bench.doubleProp("bench.rate", 100);
        int routerCount = Bench.intProp("bench.routers", 3);
        int partitions = Bench.intProp("bench.partitions", 12);
        int minReadySeconds = Bench.intProp("bench.minReadySeconds", 10);
        int warmupSeconds = Bench.intProp("bench.warmupSeconds", 60);
        String name = "roll-" + sessionTimeoutMs;
        System.out.printf("%n=== rolling restart of %d routers, session.timeout.ms=%d, %d users at %.0f msg/s ===%n",
                routerCount, sessionTimeoutMs, users, rate);
        try (ProcessCluster cluster = ProcessCluster.start(name)) {
            List<ProcessCluster.Instance> routers = new ArrayList<>();
            for (int i = 0; i < routerCount; i++) {
                Map<String, String> settings = new TreeMap<>();
                settings.put("pigeonhole.router.partitions", Integer.toString(partitions));
                settings.put("pigeonhole.router.standby-replicas", "1");
                settings.put("pigeonhole.router.stream-threads", "2");
                settings.put("pigeonhole.router.commit-interval-ms", "100");
                settings.put("kafka-streams.group.instance.id", "router-" + i);
                settings.put("kafka-streams.session.timeout.ms", Integer.toString(sessionTimeoutMs));
                settings.put("quarkus.log.category.\"org.apache.kafka.streams.KafkaStreams\".level", "INFO");
                settings.put("quarkus.log.category.\"org.apache.kafka.clients.consumer.internals\".level", "INFO");
                routers.add(cluster.router(name + "-router-" + i, settings));
            }
            long[] startMarks = marks(routers);
            try (Balancer routerService = new Balancer(routers.stream().map(ProcessCluster.Instance::port).toList())) {
                ProcessCluster.Instance gateway = cluster.gateway(name + "-gateway", Map.of());
                ProcessCluster.Instance delivery = cluster.delivery(name + "-delivery-0", routerService.http(), Map.of());
                List<ProcessCluster.Instance> all = new ArrayList<>(routers);
                all.add(gateway);
                all.add(delivery);
                long t0 = System.nanoTime();
                ProcessCluster.startAll(all.toArray(ProcessCluster.Instance[]::new));
                System.out.printf("cluster ready in %.1f s%n", (System.nanoTime() - t0) / 1e9);

                Target target = new Target(URI.create(gateway.ws()), List.of(URI.create(delivery.ws())), null, -1, 4,
                        Auth.devIdentity());
                Watch watch = new Watch();
                watch.open("steady, before the roll");
                long[] generationAt = new long[routerCount + 1];
                long[] relayAt = new long[routerCount + 1];
                List<Chaos.Fault> restarts = new ArrayList<>();
                for (int i = 0; i < routerCount; i++) {
                    int r = i;
                    restarts.add(new Chaos.Fault("restart router-" + r, () -> {
                        long[] before = groupState(routers, startMarks);
                        generationAt[r] = before[0];
                        relayAt[r] = before[2];
                        Window w = watch.open("restart router-" + r);
                        w.restart.put("generation before", before[0]);
                        w.restart.put("rebalancing lines before", before[1]);
                        ProcessCluster.Instance router = routers.get(r);
                        long a = System.nanoTime();
                        routerService.remove(router.port());
                        router.stop();
                        long b = System.nanoTime();
                        router.start();
                        router.awaitReady(Duration.ofSeconds(300));
                        long c = System.nanoTime();
                        routerService.add(router.port());
                        w.restart.put("SIGTERM → exit s", round((b - a) / 1e9));
                        w.restart.put("start → ready s", round((c - b) / 1e9));
                        w.restart.put("SIGTERM → ready s", round((c - a) / 1e9));
                        System.out.printf("router-%d: SIGTERM → exit %.1f s, start → ready %.1f s%n", r, (b - a) / 1e9,
                                (c - b) / 1e9);
                    }, () -> sleep(minReadySeconds * 1000L)));
                }
                Chaos.Spec spec = new Chaos.Spec(users, rate, 200, 128, warmupSeconds, 0, 120, 0);
                Report chaos = new Chaos(spec, restarts, watch).run(target);
                long[] end = groupState(routers, startMarks);
                generationAt[routerCount] = end[0];
                relayAt[routerCount] = end[2];
                Report report = withTable(chaos, "roll-session-timeout-" + sessionTimeoutMs,
                        table(watch, generationAt, relayAt, end[1], sessionTimeoutMs, summary));
                List<Path> written = ReportWriter.write(report, reports().resolve("session-timeout-" + sessionTimeoutMs));
                System.out.println(ReportWriter.text(report));
                System.out.println("reports: " + written);
                return report;
            }
        }
    }

    /** One row per window; adds the side-by-side lines to {@code summary}. */
    private static Report.Table table(Watch watch, long[] generationAt, long[] relayAt, long rebalancingLinesAtEnd, int timeout,
                                      List<String> summary) {
        List<List<Object>> rows = new ArrayList<>();
        long rebalances = 0;
        long relayRebalances = 0;
        double maxLatency = 0;
        double maxP99 = 0;
        double longestGap = 0;
        double maxReady = 0;
        for (int w = 0; w < watch.windows.size(); w++) {
            Window win = watch.windows.get(w);
            List<Object> row = new ArrayList<>();
            row.add(win.name);
            if (w == 0) {
                row.addAll(List.of("-", "-", "-", "-", "-", "-"));
            } else {
                row.add(win.restart.get("SIGTERM → exit s"));
                row.add(win.restart.get("start → ready s"));
                row.add(win.restart.get("SIGTERM → ready s"));
                long rb = generationAt[w] - generationAt[w - 1]; // restart w-1: from its start to the next one's
                rebalances += rb;
                row.add(rb);
                relayRebalances += relayAt[w] - relayAt[w - 1];
                row.add(relayAt[w] - relayAt[w - 1]);
                long linesBefore = ((Number) win.restart.get("rebalancing lines before")).longValue();
                long linesAfter = w < watch.windows.size() - 1
                        ? ((Number) watch.windows.get(w + 1).restart.get("rebalancing lines before")).longValue()
                        : rebalancingLinesAtEnd;
                row.add(linesAfter - linesBefore);
                maxReady = Math.max(maxReady, ((Number) win.restart.get("SIGTERM → ready s")).doubleValue());
            }
            Histogram h = win.latency;
            double p99 = h.getTotalCount() == 0 ? 0 : h.getValueAtPercentile(99) / 1000.0;
            double max = h.getTotalCount() == 0 ? 0 : h.getMaxValue() / 1000.0;
            row.add(h.getTotalCount());
            row.add(h.getTotalCount() == 0 ? 0 : round(h.getValueAtPercentile(50) / 1000.0));
            row.add(round(p99));
            row.add(round(max));
            row.add(round(win.longestGapNanos / 1e9));
            row.add(win.inboxesGapOver2s);
            rows.add(row);
            if (w > 0) {
                maxLatency = Math.max(maxLatency, max);
                maxP99 = Math.max(maxP99, p99);
                longestGap = Math.max(longestGap, win.longestGapNanos / 1e9);
            }
        }
        summary.add(String.format(Locale.ROOT, "session.timeout.ms=%d: %d Streams group rebalances during the roll (outbox relay group: %d), SIGTERM → ready"
                + " at most %.1f s, delivery latency during the roll max %.0f ms (highest p99 of a restart window %.0f ms),"
                + " longest wait of one inbox %.1f s", timeout, rebalances, relayRebalances, maxReady, maxLatency, maxP99, longestGap));
        return new Report.Table("restarts (session.timeout.ms=" + timeout + ")", List.of("window", "SIGTERM → exit s",
                "start → ready s", "SIGTERM → ready s", "Streams group rebalances (generations)", "outbox-relay group rebalances",
                "RUNNING → REBALANCING transitions (all routers)", "deliveries", "latency p50 ms", "latency p99 ms",
                "latency max ms", "longest wait of one inbox s", "inboxes waiting > 2 s"), rows);
    }

    /** The chaos report under another name with one more table (first) and the same verdict. */
    private static Report withTable(Report r, String scenario, Report.Table table) {
        List<Report.Table> tables = new ArrayList<>();
        tables.add(table);
        tables.addAll(r.tables());
        return new Report(scenario, r.spec(), r.target(), r.startedAtEpochMs(), r.seconds(), r.figures(), r.latencies(),
                r.series(), tables, r.verdict(), r.notes(), r.passed(), r.failures());
    }

    private static double round(double v) {
        return Math.round(v * 10) / 10.0;
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
