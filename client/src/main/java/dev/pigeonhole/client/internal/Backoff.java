package dev.pigeonhole.client.internal;

import java.time.Duration;
import java.util.function.DoubleSupplier;

/**
 * Exponential backoff with full jitter: attempt n waits a uniformly random time in
 * {@code [0, min(max, min * 2^n)]}, so clients dropped together do not reconnect together.
 */
public final class Backoff {
    private final long minMs;
    private final long maxMs;
    private final DoubleSupplier random;
    private int attempt;

    /** @param random uniform in [0, 1) */
    public Backoff(Duration min, Duration max, DoubleSupplier random) {
        this.minMs = Math.max(1, min.toMillis());
        this.maxMs = Math.max(minMs, max.toMillis());
        this.random = random;
    }

    /** The delay before the next attempt; each call counts one more failed attempt. */
    public Duration next() {
        long bound = minMs;
        for (int i = 0; i < attempt && bound < maxMs; i++) {
            bound = Math.min(maxMs, bound * 2);
        }
        attempt++;
        return Duration.ofMillis((long) (random.getAsDouble() * (bound + 1)));
    }

    /** A connection proved healthy: start again from the smallest bound. */
    public void reset() {
        attempt = 0;
    }

    public int attempts() {
        return attempt;
    }
}
