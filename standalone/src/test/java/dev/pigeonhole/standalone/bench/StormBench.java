package dev.pigeonhole.standalone.bench;

import dev.pigeonhole.load.Auth;
import dev.pigeonhole.load.Target;
import dev.pigeonhole.load.report.Report;
import dev.pigeonhole.load.report.ReportWriter;
import dev.pigeonhole.load.scenario.Churn;
import dev.pigeonhole.load.scenario.Storm;
import dev.pigeonhole.standalone.SplitStack;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Reconnect storm (S3) on this machine: a broker (here), a router, a gateway and {@code bench.deliveries} delivery
 * instances, each in its own JVM; {@code bench.clients} inbox clients of pigeonhole-load spread over the deliveries,
 * all caught up; then delivery 0 is killed (SIGKILL) and the scenario measures until every dropped client is back and
 * caught up on the others, with messages flowing to a sample of the clients throughout. Before it, a churn of
 * {@code bench.warmupSeconds} (2,000 clients, {@code bench.warmupChurn} reconnects/s (100), its report in {@code warm-up/}) warms the fresh JVMs' connect paths: a
 * pod in production has run for hours, and on two cores a cold stack spends the storm JIT-compiling (measured: a
 * quarter of every service's CPU in the first minute). Writes the reports (JSON,
 * HTML, text) to {@code standalone/target/load-reports/storm-bench/} and prints the summary; exits 1 if the scenario
 * failed (a client not back, a message lost or duplicated).
 *
 * <pre>
 * ./mvnw -B -Pstorm-bench -pl standalone -am verify -DskipTests [-Dbench.clients=18000 -Dbench.deliveries=2
 *     -Dbench.connectRate=1000 -Dbench.rate=100 -Dbench.sampleShare=0.05 -Dbench.addresses=8
 *     -Dbench.service.opts=-Xmx1g -Dbench.stack.opts=...]
 * </pre>
 */
public final class StormBench {
    private static Path reports() {
        return Path.of(System.getProperty("pigeonhole.root", ".")).resolve("standalone/target/load-reports/storm-bench");
    }

    /** The sample taken closest to {@code nanos}. */
    private static long[] nearest(List<long[]> samples, long nanos) {
        long[] best = samples.get(0);
        for (long[] s : samples) {
            if (Math.abs(s[0] - nanos) < Math.abs(best[0] - nanos)) {
                best = s;
            }
        }
        return best;
    }

    public static void main(String[] args) throws Exception {
        int clients = Integer.getInteger("bench.clients", 18_000);
        int deliveries = Integer.getInteger("bench.deliveries", 2);
        int connectRate = Integer.getInteger("bench.connectRate", 1000);
        double rate = Double.parseDouble(System.getProperty("bench.rate", "100"));
        double share = Double.parseDouble(System.getProperty("bench.sampleShare", "0.05"));
        int addresses = Integer.getInteger("bench.addresses", 8);
        int warmupSeconds = Integer.getInteger("bench.warmupSeconds", 60);
        double warmupChurn = Double.parseDouble(System.getProperty("bench.warmupChurn", "100"));
        String serviceOpts = System.getProperty("bench.service.opts", "-Xmx1g");
        System.setProperty("pigeonhole.service.jvm-opts", serviceOpts);
        System.out.printf("storm bench: %d clients over %d delivery JVMs (%s), kill delivery 0%n", clients, deliveries,
                SplitStack.serviceJvmOptions());
        Report report;
        try (SplitStack stack = SplitStack.start("storm-bench", deliveries, true)) {
            Target target = new Target(URI.create(stack.gatewayUrl()),
                    stack.deliveryUrls().stream().map(URI::create).toList(), null, -1, addresses, Auth.devIdentity());
            if (warmupSeconds > 0) {
                Report warm = new Churn(new Churn.Spec(2000, 10, 100, warmupSeconds, warmupChurn, 500, 200, 128, 500, 120))
                        .run(target);
                System.out.printf("warm-up (churn, not reported): %s, %s%n", warm.passed() ? "passed" : "FAILED",
                        warm.verdict());
                ReportWriter.write(warm, reports().resolve("warm-up"));
            }
            Storm.Spec spec = new Storm.Spec(clients, 10, share, rate, 200, 128, connectRate, 10, 180, 10, 500, 30_000);
            Map<String, Long> pids = stack.pids();
            List<long[]> samples = new CopyOnWriteArrayList<>(); // {nanos, cpu µs of each process…, self}
            long[] faultAt = {0};
            Thread sampler = new Thread(() -> {
                while (!Thread.currentThread().isInterrupted()) {
                    long[] s = new long[pids.size() + 2];
                    s[0] = System.nanoTime();
                    int i = 1;
                    for (long pid : pids.values()) {
                        s[i++] = Cpu.processMicros(pid);
                    }
                    s[i] = Cpu.selfMicros();
                    samples.add(s);
                    try {
                        Thread.sleep(100);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "cpu-sampler");
            sampler.setDaemon(true);
            sampler.start();
            report = new Storm(spec, () -> {
                faultAt[0] = System.nanoTime();
                stack.killDelivery(0);
            }).run(target);
            sampler.interrupt();
            Object back = report.figures().get("time to 100 % back s");
            Object dropped = report.figures().get("dropped by the fault");
            if (back instanceof Number b && dropped instanceof Number d && d.longValue() > 0) {
                long end = faultAt[0] + (long) (b.doubleValue() * 1e9);
                long[] first = nearest(samples, faultAt[0]);
                long[] last = nearest(samples, end);
                System.out.printf("CPU from the kill until every dropped client was back (%.1f s, %d reconnects):%n",
                        b.doubleValue(), d.longValue());
                int i = 1;
                List<String> names = new java.util.ArrayList<>(pids.keySet());
                names.add("load generator");
                for (String name : names) {
                    if (first[i] >= 0 && last[i] >= 0) {
                        double cpuMs = (last[i] - first[i]) / 1000.0;
                        System.out.printf("  %-15s %7.0f ms CPU  %6.2f ms per reconnect  %5.0f %% of a core%n", name,
                                cpuMs, cpuMs / d.longValue(), 100 * cpuMs / 1000 / b.doubleValue());
                    }
                    i++;
                }
            }
        }
        List<Path> written = ReportWriter.write(report, reports());
        System.out.println(ReportWriter.text(report));
        System.out.println("reports: " + written);
        System.exit(report.passed() ? 0 : 1);
    }
}
