package dev.pigeonhole.load.report;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.DoubleSupplier;

/**
 * Samples quantities at a fixed interval on its own thread (e.g. connections open, caught-up clients), for the
 * "over time" series of a report. A {@link #rate} series turns a counter into a per-second rate.
 */
public final class Sampler implements AutoCloseable {
    private final long startNanos;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "load-sampler");
        t.setDaemon(true);
        return t;
    });
    private final List<Probe> probes = new ArrayList<>();

    private record Probe(String name, String unit, DoubleSupplier value, boolean rate, List<double[]> points, double[] last) {}

    public Sampler(long startNanos, long intervalMillis) {
        this.startNanos = startNanos;
        timer.scheduleAtFixedRate(this::sample, 0, intervalMillis, TimeUnit.MILLISECONDS);
    }

    public synchronized Sampler gauge(String name, String unit, DoubleSupplier value) {
        probes.add(new Probe(name, unit, value, false, new ArrayList<>(), new double[] {Double.NaN, 0}));
        return this;
    }

    /** Per-second rate of a monotonic counter. */
    public synchronized Sampler rate(String name, String unit, DoubleSupplier counter) {
        probes.add(new Probe(name, unit, counter, true, new ArrayList<>(), new double[] {Double.NaN, 0}));
        return this;
    }

    private synchronized void sample() {
        double t = (System.nanoTime() - startNanos) / 1e9;
        for (Probe p : probes) {
            double v = p.value().getAsDouble();
            if (!p.rate()) {
                p.points().add(new double[] {round(t), v});
            } else {
                if (!Double.isNaN(p.last()[0]) && t > p.last()[0]) {
                    p.points().add(new double[] {round(t), round((v - p.last()[1]) / (t - p.last()[0]))});
                }
                p.last()[0] = t;
                p.last()[1] = v;
            }
        }
    }

    private static double round(double v) {
        return Math.round(v * 1000) / 1000.0;
    }

    /** Stops sampling (one last sample first) and returns the series. */
    public synchronized List<Report.Series> finish() {
        sample();
        timer.shutdownNow();
        List<Report.Series> out = new ArrayList<>();
        for (Probe p : probes) {
            out.add(new Report.Series(p.name(), p.unit(), List.copyOf(p.points())));
        }
        return out;
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
