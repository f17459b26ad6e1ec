package dev.pigeonhole.standalone.bench;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The sending loop of an end-to-end run, on one thread. Paced runs are open-loop: message {@code k} has an intended
 * send time (the rate ramps up during the warm-up, see {@link #rampedOffset}) and goes out then, or at once if the
 * loop is late, keeping its intended time, so latencies measured from it include any stall (no coordinated
 * omission). The max run is closed-loop: each sender keeps at most {@code maxInFlight} unanswered sends, the intended
 * time is the actual send time.
 */
final class LoadLoop {
    /** Sends message {@code n} of {@code sender} to {@code target} (see {@link Ledger}); must not block. */
    interface Transport {
        void send(int sender, long n, int target, long intendedNanos);
    }

    /** Picks a target for the next message of {@code sender}. */
    interface Targets {
        int next(int sender);
    }

    private final int rate;
    private final int warmupSeconds;
    private final int seconds;
    /** Set by {@link #begin}; until then nothing is in the window. */
    volatile long start = Long.MAX_VALUE;
    volatile long warmupEnd = Long.MAX_VALUE;
    volatile long end = Long.MAX_VALUE;

    /** @param rate total sends per second, 0 for the closed-loop max run */
    LoadLoop(int rate, int warmupSeconds, int seconds) {
        this.rate = rate;
        this.warmupSeconds = warmupSeconds;
        this.seconds = seconds;
    }

    /** Fixes the schedule: warm-up from now, then the measured window. */
    void begin() {
        long s = System.nanoTime();
        warmupEnd = s + TimeUnit.SECONDS.toNanos(warmupSeconds);
        end = warmupEnd + TimeUnit.SECONDS.toNanos(seconds);
        start = s;
    }

    /** True for an intended send time or arrival inside the measured window. */
    boolean inWindow(long nanoTime) {
        return nanoTime >= warmupEnd && nanoTime < end;
    }

    void run(Ledger ledger, int senders, int maxInFlight, Targets targets, Transport transport) throws InterruptedException {
        long start = this.start;
        long end = this.end;
        int next = 0;
        for (long k = 0; ; k++) {
            long t;
            int s;
            if (rate > 0) {
                t = start + rampedOffset(k);
                if (t >= end) {
                    return;
                }
                Bench.sleepUntil(t);
                s = (int) (k % senders);
            } else {
                s = -1;
                while (s < 0) {
                    if (System.nanoTime() >= end) {
                        return;
                    }
                    for (int i = 0; i < senders && s < 0; i++) {
                        int c = (next + i) % senders;
                        if (ledger.inFlight(c) < maxInFlight) {
                            s = c;
                        }
                    }
                    if (s < 0) {
                        LockSupport.parkNanos(50_000);
                    }
                }
                next = (s + 1) % senders;
                t = System.nanoTime();
            }
            int target = targets.next(s);
            long n = ledger.sent(s, target, t);
            transport.send(s, n, target, t);
        }
    }

    /**
     * Intended send time of message {@code k} (nanos after start) in a paced run: the rate ramps up linearly during
     * the warm-up (a cold JVM would otherwise build a backlog that the measurement inherits), then stays constant.
     */
    long rampedOffset(long k) {
        double w = Math.max(warmupSeconds, 1e-9);
        double rampCount = rate * w / 2;
        double seconds = k < rampCount ? Math.sqrt(2 * w * k / rate) : w + (k - rampCount) / rate;
        return (long) (seconds * 1e9);
    }
}
