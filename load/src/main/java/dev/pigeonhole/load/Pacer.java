package dev.pigeonhole.load;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * An open-loop schedule: message {@code k} has an intended send time, the rate ramping up linearly over
 * {@code rampSeconds} then constant. A sender that falls behind sends at once but keeps the intended time, so
 * latency measured from it includes the stall (no coordinated omission).
 */
public final class Pacer {
    private final double rate;
    private final double rampSeconds;

    /** @param rate messages per second after the ramp; must be positive */
    public Pacer(double rate, double rampSeconds) {
        if (!(rate > 0)) {
            throw new IllegalArgumentException("rate must be > 0: " + rate);
        }
        this.rate = rate;
        this.rampSeconds = Math.max(0, rampSeconds);
    }

    /** Intended send time of message {@code k}, in nanoseconds after the start. */
    public long offsetNanos(long k) {
        double rampCount = rate * rampSeconds / 2;
        double seconds = k < rampCount ? Math.sqrt(2 * rampSeconds * k / rate) : rampSeconds + (k - rampCount) / rate;
        return (long) (seconds * 1e9);
    }

    /** How many messages are due within {@code seconds} after the start. */
    public long countWithin(double seconds) {
        long k = 0;
        long limit = (long) (seconds * 1e9);
        // closed form of the inverse; the loop only corrects rounding at the edge
        double rampCount = rate * rampSeconds / 2;
        double s = seconds;
        k = s <= rampSeconds ? (long) Math.ceil(rate * s * s / (2 * Math.max(rampSeconds, 1e-12)))
                : (long) Math.ceil(rampCount + (s - rampSeconds) * rate);
        while (k > 0 && offsetNanos(k - 1) >= limit) {
            k--;
        }
        while (offsetNanos(k) < limit) {
            k++;
        }
        return k;
    }

    /** Sleeps until {@code deadline} ({@code System.nanoTime()} scale), parking for the last stretch. */
    public static void sleepUntil(long deadline) throws InterruptedException {
        long left;
        while ((left = deadline - System.nanoTime()) > 0) {
            if (left > TimeUnit.MILLISECONDS.toNanos(2)) {
                Thread.sleep(left / 1_000_000 - 1);
            } else {
                LockSupport.parkNanos(left);
            }
            if (Thread.interrupted()) {
                throw new InterruptedException();
            }
        }
    }
}
