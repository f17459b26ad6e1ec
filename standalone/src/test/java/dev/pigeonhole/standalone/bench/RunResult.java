package dev.pigeonhole.standalone.bench;

import org.HdrHistogram.Histogram;

/**
 * One end-to-end run: counts and latencies of the measured window (latencies in microseconds, for messages whose
 * intended send time falls in the window), CPU over the window, correctness over the whole run.
 */
record RunResult(String stack, String run, int targetRate, long acceptedInWindow, long deliveredInWindow,
                 double seconds, Histogram accepted, Histogram delivered, Cpu.Delta cpu, Ledger.Verdict verdict,
                 String notes) {

    static final String HEADER = "| stack | run | target msg/s | accepted msg/s | delivered msg/s | accepted p50/p99/p99.9 ms"
            + " | delivered p50/p99/p99.9/max ms | stack CPU µs/msg | loadgen CPU µs/msg | lost/dup/reordered |\n"
            + "|---|---|---|---|---|---|---|---|---|---|";

    double acceptedRate() {
        return acceptedInWindow / seconds;
    }

    double deliveredRate() {
        return deliveredInWindow / seconds;
    }

    /** Delivered p99 in microseconds, or NaN without samples. */
    double deliveredP99() {
        return delivered.getTotalCount() == 0 ? Double.NaN : delivered.getValueAtPercentile(99);
    }

    String row() {
        return String.format("| %s | %s | %s | %,.0f | %,.0f | %s | %s | %s | %s | %s |", stack, run,
                targetRate > 0 ? String.format("%,d", targetRate) : "max", acceptedRate(), deliveredRate(),
                Bench.pct(accepted, 50, 99, 99.9), Bench.pct(delivered, 50, 99, 99.9, 100),
                cpu.perMessage(cpu.serverMicros(), deliveredInWindow), cpu.perMessage(cpu.loadgenMicros(), deliveredInWindow),
                verdict.cell());
    }
}
