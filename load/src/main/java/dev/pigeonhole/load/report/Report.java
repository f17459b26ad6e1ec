package dev.pigeonhole.load.report;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.pigeonhole.load.Ledger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a scenario measured, in one shape for every scenario: key figures (ordered), latencies, time series, tables
 * (e.g. idle steps), the correctness verdict, notes, and whether the run passed (what a user relies on held: nothing
 * lost or duplicated, plus the scenario's own condition). Written by {@link ReportWriter} as JSON, HTML and text.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Report(String scenario, Object spec, String target, long startedAtEpochMs, double seconds,
                     Map<String, Object> figures, List<Latency> latencies, List<Series> series, List<Table> tables,
                     Ledger.Verdict verdict, List<String> notes, boolean passed, List<String> failures) {

    /** Latency of one kind, in milliseconds. */
    public record Latency(String name, long count, double p50, double p99, double p999, double max, double mean,
                          List<SecondLatency> perSecond, List<Percentile> distribution) {}

    /** {@code second}: since the scenario's clock started. */
    public record SecondLatency(int second, long count, double p50, double p99, double max) {}

    public record Percentile(double percentile, double ms) {}

    /** A quantity over time: points of (seconds since start, value). */
    public record Series(String name, String unit, List<double[]> points) {}

    public record Table(String name, List<String> columns, List<List<Object>> rows) {}

    /** Collects a report while a scenario runs. Not thread-safe: the scenario's own thread fills it. */
    public static final class Builder {
        private final String scenario;
        private final Object spec;
        private final String target;
        private final long startedAt = System.currentTimeMillis();
        private final long startNanos = System.nanoTime();
        private final Map<String, Object> figures = new LinkedHashMap<>();
        private final List<Latency> latencies = new ArrayList<>();
        private final List<Series> series = new ArrayList<>();
        private final List<Table> tables = new ArrayList<>();
        private final List<String> notes = new ArrayList<>();
        private final List<String> failures = new ArrayList<>();
        private Ledger.Verdict verdict;

        public Builder(String scenario, Object spec, String target) {
            this.scenario = scenario;
            this.spec = spec;
            this.target = target;
        }

        public long startNanos() {
            return startNanos;
        }

        public Builder figure(String name, Object value) {
            figures.put(name, value instanceof Double d ? Math.round(d * 100) / 100.0 : value);
            return this;
        }

        public Builder latency(LatencyRecorder recorder) {
            latencies.add(recorder.snapshot());
            return this;
        }

        public Builder series(Series s) {
            series.add(s);
            return this;
        }

        public Builder table(Table t) {
            tables.add(t);
            return this;
        }

        public Builder note(String note) {
            notes.add(note);
            return this;
        }

        /** A condition the run must meet; a false one fails the run with {@code why}. */
        public Builder require(boolean condition, String why) {
            if (!condition) {
                failures.add(why);
            }
            return this;
        }

        /** The verdict, and the failures it implies: lost, duplicated or reordered messages, unanswered sends. */
        public Builder verdict(Ledger.Verdict v) {
            verdict = v;
            require(v.lost() == 0, v.lost() + " messages lost");
            require(v.duplicated() == 0, v.duplicated() + " messages duplicated");
            require(v.reordered() == 0, v.reordered() + " messages reordered");
            require(v.unanswered() == 0, v.unanswered() + " sends never answered");
            return this;
        }

        public Report build() {
            return new Report(scenario, spec, target, startedAt, (System.nanoTime() - startNanos) / 1e9, figures,
                    latencies, series, tables, verdict, notes, failures.isEmpty(), failures);
        }
    }
}
