package dev.pigeonhole.testkit;

import dev.pigeonhole.load.Auth;
import dev.pigeonhole.load.Target;
import dev.pigeonhole.load.report.Report;
import dev.pigeonhole.load.report.ReportWriter;
import dev.pigeonhole.load.scenario.Chaos;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The chaos scenario against a {@link PigeonholeCluster} of 3 Kafka nodes, 2 routers, 2 gateways and 2 delivery
 * instances: under steady traffic (pigeonhole-load's {@link Chaos}: every user sends to the next through gateway 1,
 * inboxes spread over both delivery instances), each kind of container is killed and restarted, then another of its
 * kind paused and unpaused, in turn. Prints the per-fault table (accepted, delivered, lost, duplicated, reordered,
 * seconds to recover) and writes the reports to {@code testkit/target/load-reports/chaos/}; exits 1 unless every fault
 * was survived with nothing lost, duplicated or reordered.
 *
 * <pre>
 * ./mvnw -B -Pchaos -pl testkit -am verify -DskipTests [-Dchaos.users=40 -Dchaos.rate=50 -Dchaos.faultSeconds=10]
 * </pre>
 */
public final class ChaosRun {
    public static void main(String[] args) throws Exception {
        int users = Integer.getInteger("chaos.users", 40);
        double rate = Double.parseDouble(System.getProperty("chaos.rate", "50"));
        double faultSeconds = Double.parseDouble(System.getProperty("chaos.faultSeconds", "10"));
        LocalImages.build();
        Report report;
        long start = System.nanoTime();
        try (PigeonholeCluster cluster = PigeonholeCluster.builder().brokers(3).routers(2).gateways(2).deliveries(2)
                .start()) {
            System.out.printf("cluster up in %.0f s: 3 Kafka nodes, 2 routers, 2 gateways, 2 delivery%n",
                    (System.nanoTime() - start) / 1e9);
            List<Chaos.Fault> faults = new ArrayList<>();
            faults.add(killAndRestart(cluster, Component.KAFKA, 2));
            faults.add(pause(cluster, Component.KAFKA, 3));
            faults.add(killAndRestart(cluster, Component.ROUTER, 1));
            faults.add(pause(cluster, Component.ROUTER, 2));
            faults.add(killAndRestart(cluster, Component.GATEWAY, 1));
            faults.add(pause(cluster, Component.GATEWAY, 1));
            faults.add(killAndRestart(cluster, Component.DELIVERY, 1));
            faults.add(pause(cluster, Component.DELIVERY, 2));
            Target target = new Target(URI.create(cluster.gatewayUrl(1)),
                    cluster.deliveryUrls().stream().map(URI::create).toList(), null, -1, 4, Auth.devIdentity());
            report = new Chaos(new Chaos.Spec(users, rate, 200, 128, 10, faultSeconds, 180, 5), faults).run(target);
        }
        Path dir = LocalImages.ROOT.resolve("testkit/target/load-reports/chaos");
        List<Path> written = ReportWriter.write(report, dir);
        System.out.println(ReportWriter.text(report));
        System.out.println("reports: " + written);
        System.exit(report.passed() ? 0 : 1);
    }

    private static Chaos.Fault killAndRestart(PigeonholeCluster cluster, Component c, int i) {
        return new Chaos.Fault("kill " + name(c, i), () -> cluster.kill(c, i), () -> cluster.restart(c, i));
    }

    private static Chaos.Fault pause(PigeonholeCluster cluster, Component c, int i) {
        return new Chaos.Fault("pause " + name(c, i), () -> cluster.pause(c, i), () -> cluster.unpause(c, i));
    }

    private static String name(Component c, int i) {
        return c.imageName() + "-" + i;
    }
}
