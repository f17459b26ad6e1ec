package dev.pigeonhole.standalone;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pigeonhole.load.Target;
import dev.pigeonhole.load.report.Report;
import dev.pigeonhole.load.report.ReportWriter;
import dev.pigeonhole.load.scenario.Backlog;
import dev.pigeonhole.load.scenario.Churn;
import dev.pigeonhole.load.scenario.Idle;
import dev.pigeonhole.load.scenario.Steady;
import dev.pigeonhole.load.scenario.Storm;
import dev.pigeonhole.protocol.Json;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Every pigeonhole-load scenario, small, against real processes: what a user of the tool relies on — nothing lost or
 * duplicated, the reports written (JSON parses, HTML holds the SVG plots), and for the storm that every client
 * dropped by a killed delivery instance came back and caught up. Reports: {@code standalone/target/load-reports/}.
 */
class LoadScenariosIT {
    @RegisterExtension
    static final StandaloneExtension pigeonhole = new StandaloneExtension("load-it");

    private static final Path REPORTS = ServiceProcess.ROOT.resolve("standalone/target/load-reports");

    private static Target standalone() {
        ServiceProcess p = pigeonhole.process();
        return Target.standalone(URI.create(p.ws(""))).withManagement(URI.create(p.management("")), p.pid());
    }

    @Test
    void steadyDeliversOneToOneAndGroupTrafficOnce() throws Exception {
        // 20 users, 40 msg/s for 5 s: ~200 messages, a quarter to groups of 4 (invitations accepted by the tool)
        Report r = run(new Steady(new Steady.Spec(20, 40, 1, 5, 0.25, 4, 200, 128, 200, 20)).run(standalone()));
        assertThat(r.verdict().sent()).isBetween(150L, 210L);
        assertThat(r.verdict().expected()).isGreaterThan(r.verdict().sent()); // group sends count once per member
        assertThat(r.latencies().get(1).count()).isEqualTo(r.verdict().received());
    }

    @Test
    void backlogIsStoredThenDrainedCompletely() throws Exception {
        Report r = run(new Backlog(new Backlog.Spec(20, 10, 5, 256, 50, 1024, 0, 60)).run(standalone()));
        assertThat(r.verdict().expected()).isEqualTo(200);
        assertThat(r.verdict().received()).isEqualTo(200);
        assertThat(r.figures()).containsEntry("complete", true);
    }

    @Test
    void churnDeliversEveryMessageExactlyOnceAcrossReconnects() throws Exception {
        Report r = run(new Churn(new Churn.Spec(20, 4, 40, 5, 6, 500, 200, 128, 200, 20)).run(standalone()));
        assertThat((long) r.figures().get("churn events (went offline and came back)")).isGreaterThanOrEqualTo(10);
        assertThat(r.verdict().received()).isEqualTo(r.verdict().expected()).isGreaterThan(100);
    }

    @Test
    void idleMeasuresTheServerPerConnection() throws Exception {
        Report r = run(new Idle(new Idle.Spec(List.of(30, 60), 200, 1, 0.5)).run(standalone()));
        Report.Table table = r.tables().get(0);
        assertThat(table.rows()).hasSize(3); // the baseline and two steps
        List<Object> last = table.rows().get(2);
        assertThat(last.get(0)).isEqualTo(60);
        assertThat(last.get(4)).as("RSS MiB from /proc").isNotEqualTo("-");
        assertThat(last.get(1)).as("live heap MiB from /q/metrics").isNotEqualTo("-");
        assertThat(last.get(12)).as("still open after idle").isEqualTo(60);
    }

    @Test
    void stormBringsEveryClientOfAKilledDeliveryBack() throws Exception {
        try (Cluster cluster = Cluster.start("load-storm-it")) {
            ServiceProcess router = cluster.router("load-router");
            ServiceProcess gateway = cluster.gateway("load-gateway");
            Cluster.startAll(router, gateway);
            ServiceProcess a = cluster.delivery("load-delivery-a", router);
            ServiceProcess b = cluster.delivery("load-delivery-b", router);
            Cluster.startAll(a, b);
            Target target = new Target(URI.create(gateway.ws("")), List.of(URI.create(a.ws("")), URI.create(b.ws(""))),
                    null, -1, 4, dev.pigeonhole.load.Auth.devIdentity());
            Storm.Spec spec = new Storm.Spec(20, 3, 0.5, 30, 200, 128, 200, 1, 45, 0.5, 200, 2000);
            Report r = run(new Storm(spec, a::kill).run(target));
            // clients 0, 2, 4, … started on a: those (at least) dropped, and all of them came back via b
            assertThat((int) r.figures().get("dropped by the fault")).isGreaterThanOrEqualTo(10);
            assertThat(r.figures().get("back and caught up")).isEqualTo(r.figures().get("dropped by the fault"));
            assertThat((double) r.figures().get("time to 100 % back s")).isPositive();
            assertThat(r.verdict().received()).isEqualTo(r.verdict().expected()).isPositive();
            Report.Series open = r.series().stream().filter(s -> s.name().equals("connections open")).findFirst().orElseThrow();
            double[] last = open.points().get(open.points().size() - 1);
            assertThat(last[1]).as("connections open at the end: 20 inboxes and 3 send sockets").isEqualTo(23);
        }
    }

    /** Writes the report, checks what every run must give, returns it. */
    private static Report run(Report r) throws Exception {
        Path dir = REPORTS.resolve(r.scenario());
        ReportWriter.write(r, dir);
        System.out.print(ReportWriter.text(r));
        assertThat(r.failures()).as(ReportWriter.text(r)).isEmpty();
        assertThat(r.passed()).isTrue();
        if (r.verdict() != null) {
            assertThat(r.verdict().lost()).isZero();
            assertThat(r.verdict().duplicated()).isZero();
        }
        JsonNode json = Json.read(Files.readString(dir.resolve(r.scenario() + ".json")), JsonNode.class);
        assertThat(json.path("scenario").asText()).isEqualTo(r.scenario());
        assertThat(json.path("passed").asBoolean()).isTrue();
        String html = Files.readString(dir.resolve(r.scenario() + ".html"));
        assertThat(html).contains("<svg ", "<polyline", "over time").doesNotContain("<script");
        assertThat(Files.readString(dir.resolve(r.scenario() + ".txt"))).startsWith("pigeonhole-load " + r.scenario() + ": PASSED");
        return r;
    }
}
