package dev.pigeonhole.standalone.bench;

import dev.pigeonhole.load.Auth;
import dev.pigeonhole.load.Target;
import dev.pigeonhole.load.report.Report;
import dev.pigeonhole.load.report.ReportWriter;
import dev.pigeonhole.load.scenario.Storm;
import dev.pigeonhole.standalone.SplitStack;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;

/**
 * Reconnect storm (S3) on this machine: a broker (here), a router, a gateway and {@code bench.deliveries} delivery
 * instances, each in its own JVM; {@code bench.clients} inbox clients of pigeonhole-load spread over the deliveries,
 * all caught up; then delivery 0 is killed (SIGKILL) and the scenario measures until every dropped client is back and
 * caught up on the others, with messages flowing to a sample of the clients throughout. Writes the reports (JSON,
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
    public static void main(String[] args) throws Exception {
        int clients = Integer.getInteger("bench.clients", 18_000);
        int deliveries = Integer.getInteger("bench.deliveries", 2);
        int connectRate = Integer.getInteger("bench.connectRate", 1000);
        double rate = Double.parseDouble(System.getProperty("bench.rate", "100"));
        double share = Double.parseDouble(System.getProperty("bench.sampleShare", "0.05"));
        int addresses = Integer.getInteger("bench.addresses", 8);
        String serviceOpts = System.getProperty("bench.service.opts", "-Xmx1g");
        System.setProperty("pigeonhole.service.jvm-opts", serviceOpts);
        System.out.printf("storm bench: %d clients over %d delivery JVMs (%s), kill delivery 0%n", clients, deliveries,
                SplitStack.serviceJvmOptions());
        Report report;
        try (SplitStack stack = SplitStack.start("storm-bench", deliveries, true)) {
            Target target = new Target(URI.create(stack.gatewayUrl()),
                    stack.deliveryUrls().stream().map(URI::create).toList(), null, -1, addresses, Auth.devIdentity());
            Storm.Spec spec = new Storm.Spec(clients, 10, share, rate, 200, 128, connectRate, 10, 180, 10, 500, 30_000);
            report = new Storm(spec, () -> stack.killDelivery(0)).run(target);
        }
        Path dir = Path.of(System.getProperty("pigeonhole.root", ".")).resolve("standalone/target/load-reports/storm-bench");
        List<Path> written = ReportWriter.write(report, dir);
        System.out.println(ReportWriter.text(report));
        System.out.println("reports: " + written);
        System.exit(report.passed() ? 0 : 1);
    }
}
