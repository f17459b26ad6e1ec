package dev.pigeonhole.access;

import java.util.function.LongSupplier;

/**
 * A token bucket: holds up to {@code burst} tokens, refilled at {@code perSecond}. A cost above the burst is granted
 * from a full bucket and leaves it in debt (negative), so such a request is possible at all and still pays its full
 * cost: the next one waits until the debt is refilled. Thread-safe; time comes from an injected nanosecond clock so
 * tests need not sleep.
 */
public final class TokenBucket {
    private final double capacity;
    private final double perNano;
    private final LongSupplier nanos;
    private double tokens;
    private long last;

    public TokenBucket(double perSecond, int burst, LongSupplier nanos) {
        if (perSecond <= 0 || burst < 1) {
            throw new IllegalArgumentException("rate and burst must be positive");
        }
        this.capacity = burst;
        this.perNano = perSecond / 1e9;
        this.nanos = nanos;
        this.tokens = burst;
        this.last = nanos.getAsLong();
    }

    public long take() {
        return take(1);
    }

    /**
     * Takes {@code cost} tokens: 0 when granted, else the milliseconds until they will be available (at least 1).
     * A cost above the burst needs a full bucket.
     */
    public synchronized long take(int cost) {
        refill();
        double needed = Math.min(cost, capacity);
        if (tokens >= needed) {
            tokens -= cost;
            return 0;
        }
        return Math.max(1, (long) Math.ceil((needed - tokens) / perNano / 1e6));
    }

    /** Gives back the tokens taken for a request that another limit refused. */
    public synchronized void giveBack(int cost) {
        tokens = Math.min(capacity, tokens + cost);
    }

    /** True when the bucket is full: nothing was taken recently, so it may be forgotten. */
    public synchronized boolean idle() {
        refill();
        return tokens >= capacity;
    }

    private void refill() {
        long now = nanos.getAsLong();
        tokens = Math.min(capacity, tokens + (now - last) * perNano);
        last = now;
    }
}
