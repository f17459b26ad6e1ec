package dev.pigeonhole.access;

import java.util.function.LongSupplier;

/**
 * A token bucket: holds up to {@code burst} tokens, refilled at {@code perSecond}. Thread-safe; time comes from
 * an injected nanosecond clock so tests need not sleep.
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

    /** Takes one token: 0 when granted, else the milliseconds until one will be available (at least 1). */
    public synchronized long take() {
        refill();
        if (tokens >= 1) {
            tokens -= 1;
            return 0;
        }
        return Math.max(1, (long) Math.ceil((1 - tokens) / perNano / 1e6));
    }

    /** Gives back a token taken for a request that another limit refused. */
    public synchronized void giveBack() {
        tokens = Math.min(capacity, tokens + 1);
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
