package dev.pigeonhole.load.report;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pigeonhole.load.Ledger;
import dev.pigeonhole.protocol.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportWriterTest {
    record Spec(int users, double rate) {}

    private static Report sample(boolean lose) {
        Report.Builder b = new Report.Builder("steady", new Spec(3, 10.5), "ws://127.0.0.1:1");
        LatencyRecorder delivered = new LatencyRecorder("intended send → delivered", b.startNanos());
        for (int i = 1; i <= 1000; i++) {
            long sent = b.startNanos() + (i % 3) * 1_000_000_000L; // arrivals spread over seconds 0, 1 and 2
            delivered.record(sent, sent + i * 1_000_000L); // latencies 1..1000 ms
        }
        Ledger ledger = new Ledger(1, 1, new int[0][]);
        ledger.sent(0, 0, 0);
        ledger.accepted(0, 0);
        if (!lose) {
            ledger.received(0, 0, 0);
        }
        return b.figure("offered msg/s", 10.0).figure("refusals", Map.of()).latency(delivered)
                .series(new Report.Series("connections open", "connections", List.of(new double[] {0, 1}, new double[] {1, 3})))
                .table(new Report.Table("t", List.of("a", "b<"), List.of(List.of(1, "x&y"))))
                .verdict(ledger.verdict()).build();
    }

    @Test
    void writesParseableJsonWithTheFiguresTheRunMeasured(@TempDir Path dir) throws Exception {
        List<Path> files = ReportWriter.write(sample(false), dir);
        assertThat(files).allMatch(Files::exists);
        JsonNode json = Json.read(Files.readString(dir.resolve("steady.json")), JsonNode.class);
        assertThat(json.path("scenario").asText()).isEqualTo("steady");
        assertThat(json.path("passed").asBoolean()).isTrue();
        assertThat(json.at("/spec/rate").asDouble()).isEqualTo(10.5);
        JsonNode latency = json.path("latencies").get(0);
        assertThat(latency.path("count").asLong()).isEqualTo(1000);
        assertThat(latency.path("p50").asDouble()).isBetween(499.0, 502.0); // the 500th of 1..1000 ms
        assertThat(latency.path("perSecond")).hasSize(3); // filed under seconds 0, 1, 2
        assertThat(json.at("/verdict/lost").asLong()).isZero();
        assertThat(json.at("/series/0/points/1/1").asDouble()).isEqualTo(3);
    }

    @Test
    void aLostMessageFailsTheRunInEveryFormat(@TempDir Path dir) throws Exception {
        Report report = sample(true);
        assertThat(report.passed()).isFalse();
        ReportWriter.write(report, dir);
        assertThat(Json.read(Files.readString(dir.resolve("steady.json")), JsonNode.class).path("passed").asBoolean()).isFalse();
        assertThat(Files.readString(dir.resolve("steady.txt"))).contains("FAILED: 1 messages lost");
        assertThat(Files.readString(dir.resolve("steady.html"))).contains("class=\"failed\"");
    }

    @Test
    void htmlIsSelfContainedWithOnePlotPerKindAndEscapedText(@TempDir Path dir) throws Exception {
        String html = ReportWriter.html(sample(false));
        // latency over time + percentile distribution for the one latency, plus one per series
        assertThat(html.split("<svg ", -1)).hasSize(1 + 3);
        assertThat(html).contains("Latency over time: intended send → delivered", "Percentile distribution",
                "connections open over time", "<polyline");
        assertThat(html).doesNotContain("<script", "http://cdn", "https://");
        assertThat(html).contains("x&amp;y", "b&lt;");
    }

    @Test
    void textSummaryLeadsWithTheVerdict() {
        String text = ReportWriter.text(sample(false));
        assertThat(text.lines().findFirst().orElseThrow()).startsWith("pigeonhole-load steady: PASSED");
        assertThat(text).contains("latency intended send → delivered (ms, n=1000): p50 500", "lost 0, duplicated 0",
                "  t: a | b<\n    1 | x&y\n");
    }

    @Test
    void percentileAxisLabels() {
        assertThat(ReportWriter.percentileLabel(ReportWriter.nines(90))).isEqualTo("p90");
        assertThat(ReportWriter.percentileLabel(ReportWriter.nines(99.9))).isEqualTo("p99.9");
        assertThat(ReportWriter.percentileLabel(ReportWriter.nines(0))).isEqualTo("p0");
        assertThat(ReportWriter.percentileLabel(ReportWriter.nines(100))).isEqualTo("max");
    }

    @Test
    void niceAxisCeilings() {
        assertThat(Svg.niceCeiling(0)).isEqualTo(1);
        assertThat(Svg.niceCeiling(7)).isEqualTo(10);
        assertThat(Svg.niceCeiling(130)).isEqualTo(200);
        assertThat(Svg.niceCeiling(2.3)).isEqualTo(2.5);
    }
}
