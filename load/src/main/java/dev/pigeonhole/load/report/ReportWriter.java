package dev.pigeonhole.load.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.pigeonhole.protocol.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Writes a {@link Report} as {@code <scenario>.json} (Jackson), {@code <scenario>.html} (one self-contained page:
 * the summary, inline SVG plots, tables, the spec; no script, nothing fetched) and {@code <scenario>.txt} (the short
 * text summary, also what the CLI prints).
 */
public final class ReportWriter {
    private static final ObjectMapper JSON = Json.MAPPER.copy().enable(SerializationFeature.INDENT_OUTPUT);

    private ReportWriter() {}

    /** Writes the three files into {@code dir} (created if missing); returns their paths (json, html, txt). */
    public static List<Path> write(Report report, Path dir) throws IOException {
        Files.createDirectories(dir);
        Path json = dir.resolve(report.scenario() + ".json");
        Path html = dir.resolve(report.scenario() + ".html");
        Path txt = dir.resolve(report.scenario() + ".txt");
        Files.writeString(json, json(report));
        Files.writeString(html, html(report));
        Files.writeString(txt, text(report));
        return List.of(json, html, txt);
    }

    public static String json(Report report) throws IOException {
        return JSON.writeValueAsString(report) + "\n";
    }

    /** The short summary: verdict first, then key figures and latency percentiles. */
    public static String text(Report r) {
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "pigeonhole-load %s: %s in %.1f s%n", r.scenario(), r.passed() ? "PASSED" : "FAILED",
                r.seconds()));
        s.append("target: ").append(r.target()).append('\n');
        r.failures().forEach(f -> s.append("  FAILED: ").append(f).append('\n'));
        r.figures().forEach((k, v) -> s.append("  ").append(k).append(": ").append(v).append('\n'));
        for (Report.Latency l : r.latencies()) {
            s.append(String.format(Locale.ROOT, "  latency %s (ms, n=%d): p50 %.1f, p99 %.1f, p99.9 %.1f, max %.1f%n", l.name(),
                    l.count(), l.p50(), l.p99(), l.p999(), l.max()));
        }
        if (r.verdict() != null) {
            s.append("  ").append(r.verdict()).append('\n');
        }
        for (Report.Table t : r.tables()) {
            s.append("  ").append(t.name()).append(": ").append(String.join(" | ", t.columns())).append('\n');
            for (List<Object> row : t.rows()) {
                s.append("    ").append(row.stream().map(String::valueOf).collect(java.util.stream.Collectors.joining(" | ")))
                        .append('\n');
            }
        }
        r.notes().forEach(n -> s.append("  note: ").append(n).append('\n'));
        return s.toString();
    }

    public static String html(Report r) throws IOException {
        StringBuilder s = new StringBuilder();
        s.append("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>pigeonhole-load ").append(Svg.esc(r.scenario()))
                .append("</title>\n<style>body{font-family:sans-serif;margin:2em;max-width:1000px}"
                        + "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}"
                        + "pre{background:#f6f6f6;padding:8px}.failed{color:#b00}.passed{color:#070}</style></head><body>\n");
        s.append("<h1>pigeonhole-load: ").append(Svg.esc(r.scenario())).append(" <span class=\"")
                .append(r.passed() ? "passed\">passed" : "failed\">failed").append("</span></h1>\n");
        s.append("<pre>").append(Svg.esc(text(r))).append("</pre>\n");
        for (Report.Latency l : r.latencies()) {
            if (l.count() == 0) {
                continue;
            }
            List<double[]> p50 = new ArrayList<>();
            List<double[]> p99 = new ArrayList<>();
            List<double[]> max = new ArrayList<>();
            for (Report.SecondLatency sl : l.perSecond()) {
                p50.add(new double[] {sl.second(), sl.p50()});
                p99.add(new double[] {sl.second(), sl.p99()});
                max.add(new double[] {sl.second(), sl.max()});
            }
            s.append(Svg.chart("Latency over time: " + l.name(), "seconds since start", "ms",
                    List.of(new Svg.Line("p50", p50), new Svg.Line("p99", p99), new Svg.Line("max", max))));
            List<double[]> dist = new ArrayList<>();
            for (Report.Percentile p : l.distribution()) {
                dist.add(new double[] {nines(p.percentile()), p.ms()});
            }
            s.append(Svg.chart("Percentile distribution: " + l.name(), "percentile", "ms",
                    List.of(new Svg.Line(l.name(), dist)), ReportWriter::percentileLabel));
        }
        for (Report.Series series : r.series()) {
            s.append(Svg.chart(series.name() + " over time", "seconds since start", series.unit(),
                    List.of(new Svg.Line(series.name(), series.points()))));
        }
        for (Report.Table t : r.tables()) {
            s.append("<h2>").append(Svg.esc(t.name())).append("</h2>\n<table><tr>");
            t.columns().forEach(c -> s.append("<th>").append(Svg.esc(c)).append("</th>"));
            s.append("</tr>\n");
            for (List<Object> row : t.rows()) {
                s.append("<tr>");
                row.forEach(v -> s.append("<td>").append(Svg.esc(String.valueOf(v))).append("</td>"));
                s.append("</tr>\n");
            }
            s.append("</table>\n");
        }
        s.append("<h2>Spec</h2>\n<pre>").append(Svg.esc(JSON.writeValueAsString(Map.of("spec", r.spec()))))
                .append("</pre>\n</body></html>\n");
        return s.toString();
    }

    /** Percentile p as "nines" ({@code -log10(1 - p/100)}): 90 → 1, 99 → 2, 99.9 → 3; 100 is drawn at 5. */
    static double nines(double percentile) {
        return -Math.log10(Math.max(1e-5, 1 - percentile / 100));
    }

    static String percentileLabel(double nines) {
        if (nines >= 4.99) {
            return "max";
        }
        double p = 100 * (1 - Math.pow(10, -nines));
        String f = String.format(Locale.ROOT, p >= 99 ? "%.3f" : "%.0f", p);
        if (f.contains(".")) {
            f = f.replaceAll("0+$", "").replaceAll("\\.$", "");
        }
        return "p" + f;
    }
}
