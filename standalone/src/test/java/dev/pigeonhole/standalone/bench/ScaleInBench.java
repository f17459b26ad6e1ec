package dev.pigeonhole.standalone.bench;

import dev.pigeonhole.load.Auth;
import dev.pigeonhole.load.Target;
import dev.pigeonhole.load.report.Report;
import dev.pigeonhole.load.report.ReportWriter;
import dev.pigeonhole.load.report.Sampler;
import dev.pigeonhole.load.scenario.Churn;
import dev.pigeonhole.load.scenario.Storm;
import dev.pigeonhole.standalone.ProcessCluster;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Scale-in of delivery from {@code bench.deliveries} (4) to half of them with thousands of connected clients, the way
 * the chart stops pods: a broker, a router, a gateway and the delivery instances, each in its own JVM; the clients
 * (pigeonhole-load's storm scenario, {@code bench.clients}, 4,000) reach delivery through a {@link Balancer} (the
 * delivery Service), so they spread over all instances; messages go to a sample of them at {@code bench.rate} (100)
 * msg/s throughout. The scale-in: the last half of the instances leave the Service (endpoint removal), then after
 * {@code bench.preStopSeconds} (5, the chart's preStop sleep) all of them get SIGTERM at once and drain with
 * {@code drain-rate} / {@code drain-timeout} (15 s). Runs once per {@code bench.drainRates} (500,0: the chart's and
 * "all at once", the old behaviour), each on a fresh cluster.
 *
 * <p>Measures from the SIGTERM: the time until every dropped client is connected again and caught up (50 / 95 / 100 %),
 * lost / duplicated / reordered (the storm's ledger), the reconnect spike (client reconnects per second, connections
 * and upgrades shed with 503 by the survivors) and how the stopped instances drained (their log line). Reports (JSON,
 * HTML, text) per setting in {@code standalone/target/load-reports/scale-in/}.
 *
 * <pre>
 * ./mvnw -B -Pscale-in-bench -pl standalone -am verify -DskipTests [-Dbench.drainRates=500,0 -Dbench.clients=4000
 *     -Dbench.deliveries=4 -Dbench.rate=100 -Dbench.sampleShare=0.1 -Dbench.connectRate=400 -Dbench.drainTimeout=PT15S
 *     -Dbench.preStopSeconds=5 -Dbench.addresses=8 -Dbench.service.opts=-Xmx512m]
 * </pre>
 */
public final class ScaleInBench {
    private static final Pattern DRAINED = Pattern.compile("Drained /v1/inbox in (\\S+): (\\d+) sockets closed at up to (\\d+)/s, (\\d+) at once at the drain timeout");

    private ScaleInBench() {}

    private static Path reports() {
        return Bench.root().resolve("standalone/target/load-reports/scale-in");
    }

    public static void main(String[] args) throws Exception {
        List<Integer> rates = Bench.intList("bench.drainRates", "500,0");
        String serviceOpts = System.getProperty("bench.service.opts", "").trim();
        System.setProperty("pigeonhole.service.jvm-opts", serviceOpts.isEmpty() ? "-Xmx512m" : serviceOpts);
        System.out.println(Bench.machineLine());
        System.out.println("date: " + Bench.date() + "; command: " + Bench.command("scale-in-bench"));
        List<String> summary = new ArrayList<>();
        boolean passed = true;
        for (int rate : rates) {
            passed &= runOnce(rate, summary).passed();
        }
        StringBuilder s = new StringBuilder();
        s.append(Bench.machineLine()).append('\n').append("date: ").append(Bench.date()).append("; command: ")
                .append(Bench.command("scale-in-bench")).append('\n');
        summary.forEach(line -> s.append(line).append('\n'));
        Files.createDirectories(reports());
        Files.writeString(reports().resolve("summary.txt"), s.toString());
        System.out.println("\n=== scale-in, side by side ===\n" + s);
        System.exit(passed ? 0 : 1);
    }

    private static Report runOnce(int drainRate, List<String> summary) throws Exception {
        int clients = Bench.intProp("bench.clients", 4000);
        int count = Bench.intProp("bench.deliveries", 4);
        double rate = Bench.doubleProp("bench.rate", 100);
        double share = Bench.doubleProp("bench.sampleShare", 0.1);
        int connectRate = Bench.intProp("bench.connectRate", 400);
        int addresses = Bench.intProp("bench.addresses", 8);
        int preStop = Bench.intProp("bench.preStopSeconds", 5);
        int warmupSeconds = Bench.intProp("bench.warmupSeconds", 45);
        double warmupChurn = Bench.doubleProp("bench.warmupChurn", 100);
        String drainTimeout = System.getProperty("bench.drainTimeout", "").isBlank() ? "PT15S"
                : System.getProperty("bench.drainTimeout").trim();
        String name = "scale-in-" + drainRate;
        System.out.printf("%n=== scale-in of delivery %d → %d, %d clients, drain-rate %d, drain-timeout %s ===%n", count,
                count - count / 2, clients, drainRate, drainTimeout);
        try (ProcessCluster cluster = ProcessCluster.start(name)) {
            ProcessCluster.Instance router = cluster.router(name + "-router", Map.of());
            ProcessCluster.Instance gateway = cluster.gateway(name + "-gateway", Map.of());
            List<ProcessCluster.Instance> deliveries = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                deliveries.add(cluster.delivery(name + "-delivery-" + i, router.http(), Map.of(
                        "pigeonhole.delivery.drain-rate", Integer.toString(drainRate),
                        "pigeonhole.delivery.drain-timeout", drainTimeout)));
            }
            List<ProcessCluster.Instance> all = new ArrayList<>(deliveries);
            all.add(router);
            all.add(gateway);
            long t0 = System.nanoTime();
            ProcessCluster.startAll(all.toArray(ProcessCluster.Instance[]::new));
            System.out.printf("cluster ready in %.1f s%n", (System.nanoTime() - t0) / 1e9);
            List<ProcessCluster.Instance> leaving = deliveries.subList(count - count / 2, count);
            List<ProcessCluster.Instance> staying = deliveries.subList(0, count - count / 2);
            long[] logMarks = leaving.stream().mapToLong(ProcessCluster.Instance::logLength).toArray();
            try (Balancer service = new Balancer(deliveries.stream().map(ProcessCluster.Instance::port).toList())) {
                Target target = new Target(URI.create(gateway.ws()), List.of(URI.create(service.ws())), null, -1, addresses,
                        Auth.devIdentity());
                if (warmupSeconds > 0) {
                    Report warm = new Churn(new Churn.Spec(2000, 10, 100, warmupSeconds, warmupChurn, 500, 200, 128, 500, 120))
                            .run(target);
                    System.out.printf("warm-up (churn, not reported): %s, %s%n", warm.passed() ? "passed" : "FAILED",
                            warm.verdict());
                    ReportWriter.write(warm, reports().resolve("drain-rate-" + drainRate).resolve("warm-up"));
                }
                Storm.Spec spec = new Storm.Spec(clients, 10, share, rate, 200, 128, connectRate, 10, 180, 10, 500, 30_000);
                long[] sigterm = {0};
                long[] exited = {0};
                long[] upgradesBefore = {0};
                List<CompletableFuture<Void>> stops = new ArrayList<>();
                Report storm;
                long samplerStart = System.nanoTime();
                try (Sampler upgrades = new Sampler(samplerStart, 250);
                     Sampler sampler = new Sampler(samplerStart, 1000)) {
                    upgrades.rate("upgrades (TCP connections through the Service to the delivery instances)", "per second",
                            service.connections::get);
                    sampler.gauge("connections on the surviving instances (server)", "connections",
                                    () -> staying.stream().mapToDouble(d -> d.metric("pigeonhole_delivery_connections")).sum())
                            .gauge("connections on the stopped instances (server)", "connections",
                                    () -> leaving.stream().mapToDouble(d -> nanToZero(d.metric("pigeonhole_delivery_connections"))).sum())
                            .rate("upgrades shed by the survivors (503)", "per second",
                                    () -> staying.stream().mapToDouble(d -> d.metric("pigeonhole_delivery_shed_total")).sum());
                    storm = new Storm(spec, () -> {
                        System.out.printf("clients spread: %s%n", deliveries.stream()
                                .map(d -> String.format(Locale.ROOT, "%.0f", d.metric("pigeonhole_delivery_connections"))).toList());
                        upgradesBefore[0] = service.connections.get();
                        leaving.forEach(d -> service.remove(d.port()));
                        sleep(preStop * 1000L);
                        sigterm[0] = System.nanoTime();
                        for (ProcessCluster.Instance d : leaving) {
                            stops.add(CompletableFuture.runAsync(d::stop));
                        }
                        // until they exited (drained): every client they held has dropped by then, so the storm's
                        // recovery check cannot end between two drained batches
                        CompletableFuture.allOf(stops.toArray(CompletableFuture[]::new)).join();
                        exited[0] = System.nanoTime();
                    }).run(target);
                    List<Report.Series> extra = new ArrayList<>(upgrades.finish());
                    extra.addAll(sampler.finish());
                    // the sampler started just before the scenario's clock (milliseconds apart): same time axis
                    List<Report.Series> series = new ArrayList<>(storm.series());
                    series.addAll(extra);
                    storm = new Report(storm.scenario(), storm.spec(), storm.target(), storm.startedAtEpochMs(), storm.seconds(),
                            storm.figures(), storm.latencies(), series, storm.tables(), storm.verdict(), storm.notes(),
                            storm.passed(), storm.failures());
                }
                List<String> drained = new ArrayList<>();
                for (int i = 0; i < leaving.size(); i++) {
                    Matcher m = DRAINED.matcher(leaving.get(i).logSince(logMarks[i]));
                    drained.add(m.find() ? leaving.get(i) + ": " + m.group(2) + " sockets drained in " + m.group(1) + ", " + m.group(4)
                            + " closed at the timeout" : "no drain line in the log");
                }
                double peak = peakPerSecond(storm.series(), "reconnects");
                double shedPeak = peakPerSecond(storm.series(), "upgrades shed by the survivors (503)");
                double upgradePeak = peakPerSecond(storm.series(),
                        "upgrades (TCP connections through the Service to the delivery instances)");
                long upgradesAfter = service.connections.get() - upgradesBefore[0];
                double preStopShift = preStop; // the storm's clock starts at the endpoint removal, preStop before SIGTERM
                Map<String, Object> f = storm.figures();
                String line = String.format(Locale.ROOT, "drain-rate %d: %s of %d clients dropped; back and caught up after"
                                + " SIGTERM 50 %% %s s / 95 %% %s s / 100 %% %s s; reconnects peak %.0f/s (1 s window);"
                                + " upgrade attempts on the survivors %d (peak %.0f/s); upgrades shed (503) %s (survivors' peak %.0f/s); close codes %s; %s; delivered (whole run) %s; drain: %s",
                        drainRate, f.get("dropped by the fault"), clients, minus(f.get("time to 50 % back s"), preStopShift),
                        minus(f.get("time to 95 % back s"), preStopShift), minus(f.get("time to 100 % back s"), preStopShift),
                        peak, upgradesAfter, upgradePeak, f.get("upgrades shed (503 + Retry-After)"), shedPeak, f.get("close codes seen"),
                        storm.verdict(), delivered(storm), drained);
                line += String.format(Locale.ROOT, "; SIGTERM → both exited %.1f s", (exited[0] - sigterm[0]) / 1e9);
                summary.add(line);
                Report report = new Report("scale-in-drain-rate-" + drainRate, storm.spec(), storm.target(),
                        storm.startedAtEpochMs(), storm.seconds(), storm.figures(), storm.latencies(), storm.series(),
                        storm.tables(), storm.verdict(), append(storm.notes(), List.of(line,
                        "the scenario's times count from the endpoint removal, " + preStop + " s before SIGTERM")),
                        storm.passed(), storm.failures());
                List<Path> written = ReportWriter.write(report, reports().resolve("drain-rate-" + drainRate));
                System.out.println(ReportWriter.text(report));
                System.out.println("reports: " + written);
                return report;
            }
        }
    }

    private static String delivered(Report r) {
        for (Report.Latency l : r.latencies()) {
            if (l.name().equals("intended send → delivered")) {
                return String.format(Locale.ROOT, "p50 %.0f ms, p99 %.0f ms, max %.0f ms", l.p50(), l.p99(), l.max());
            }
        }
        return "-";
    }

    private static List<String> append(List<String> a, List<String> b) {
        List<String> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }

    private static double nanToZero(double v) {
        return Double.isNaN(v) ? 0 : v;
    }

    private static String minus(Object seconds, double shift) {
        return seconds instanceof Number n && n.doubleValue() >= 0
                ? String.format(Locale.ROOT, "%.1f", n.doubleValue() - shift) : String.valueOf(seconds);
    }

    /** The highest average rate over one second of a rate series (points closer than 1 s are averaged). */
    private static double peakPerSecond(List<Report.Series> series, String name) {
        for (Report.Series s : series) {
            if (s.name().equals(name)) {
                List<double[]> p = s.points();
                double best = 0;
                for (int i = 0; i < p.size(); i++) {
                    double sum = 0;
                    double span = 0;
                    for (int j = i; j < p.size() && span < 1.0; j++) {
                        double dt = j == 0 ? 0 : p.get(j)[0] - p.get(j - 1)[0];
                        sum += p.get(j)[1] * dt;
                        span += dt;
                    }
                    if (span >= 0.99) {
                        best = Math.max(best, sum / span);
                    }
                }
                return best;
            }
        }
        return -1;
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
