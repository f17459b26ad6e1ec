package dev.pigeonhole.load.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.HdrHistogram.Histogram;

/**
 * Latencies of one kind (e.g. intended send → delivered) in HdrHistograms, microsecond resolution, 3 significant
 * digits: one over the whole run and one per second since {@code startNanos}, for the "latency over time" plot.
 * Thread-safe (recording takes this object's monitor: fine at the rates one load generator reaches).
 */
public final class LatencyRecorder {
    private static final long MAX_MICROS = 3_600_000_000L;
    private final String name;
    private final long startNanos;
    private final Histogram total = new Histogram(MAX_MICROS, 3);
    private final Map<Integer, Histogram> perSecond = new TreeMap<>();

    public LatencyRecorder(String name, long startNanos) {
        this.name = name;
        this.startNanos = startNanos;
    }

    /** One latency from {@code fromNanos} to {@code toNanos}, filed under the second of {@code toNanos}. */
    public synchronized void record(long fromNanos, long toNanos) {
        long micros = Math.min(MAX_MICROS, Math.max(1, (toNanos - fromNanos) / 1000));
        total.recordValue(micros);
        int second = (int) Math.max(0, (toNanos - startNanos) / 1_000_000_000L);
        perSecond.computeIfAbsent(second, s -> new Histogram(MAX_MICROS, 3)).recordValue(micros);
    }

    public synchronized long count() {
        return total.getTotalCount();
    }

    public synchronized Histogram histogram() {
        return total.copy();
    }

    /** The summary a report keeps: percentiles overall, p50/p99/max per second, and the percentile distribution. */
    public synchronized Report.Latency snapshot() {
        List<Report.SecondLatency> seconds = new ArrayList<>();
        perSecond.forEach((s, h) -> seconds.add(new Report.SecondLatency(s, h.getTotalCount(), ms(h.getValueAtPercentile(50)),
                ms(h.getValueAtPercentile(99)), ms(h.getMaxValue()))));
        List<Report.Percentile> distribution = new ArrayList<>();
        if (total.getTotalCount() > 0) {
            for (double p : new double[] {0, 10, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.95, 99.99, 99.999, 100}) {
                distribution.add(new Report.Percentile(p, ms(total.getValueAtPercentile(p))));
            }
        }
        long n = total.getTotalCount();
        return new Report.Latency(name, n, n == 0 ? 0 : ms(total.getValueAtPercentile(50)),
                n == 0 ? 0 : ms(total.getValueAtPercentile(99)), n == 0 ? 0 : ms(total.getValueAtPercentile(99.9)),
                n == 0 ? 0 : ms(total.getMaxValue()), n == 0 ? 0 : Math.round(total.getMean() / 10.0) / 100.0, seconds,
                distribution);
    }

    private static double ms(long micros) {
        return Math.round(micros / 10.0) / 100.0;
    }
}
