package dev.pigeonhole.load.client;

import java.util.SplittableRandom;

/**
 * Exponential backoff with full jitter, as the SDK's: attempt n waits uniformly in {@code [0, min(max, min * 2^n)]},
 * so clients dropped together do not reconnect together. Not thread-safe: one per client, used on its event loop.
 */
public final class Backoff {
    private final long minMs;
    private final long maxMs;
    private final SplittableRandom random;
    private int attempt;

    public Backoff(long minMs, long maxMs, long seed) {
        this.minMs = Math.max(1, minMs);
        this.maxMs = Math.max(this.minMs, maxMs);
        this.random = new SplittableRandom(seed);
    }

    /** The delay before the next attempt, in ms; each call counts one more attempt. */
    public long nextMs() {
        long bound = minMs;
        for (int i = 0; i < attempt && bound < maxMs; i++) {
            bound = Math.min(maxMs, bound * 2);
        }
        attempt++;
        return (long) (random.nextDouble() * (bound + 1));
    }

    public void reset() {
        attempt = 0;
    }

    public int attempts() {
        return attempt;
    }
}
