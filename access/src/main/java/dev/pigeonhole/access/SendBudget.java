package dev.pigeonhole.access;

import java.util.function.LongSupplier;

/**
 * The send budget of one connection: a {@link TokenBucket}, plus a cool-down. Once a frame was refused, every
 * frame is refused until the announced wait is over, so that a client resending in order after the wait keeps
 * its order: no later frame can slip in while an earlier one is waiting.
 */
public final class SendBudget {
    private final TokenBucket bucket;
    private final LongSupplier nanos;
    private long coolUntil;

    public SendBudget(TokenBucket bucket, LongSupplier nanos) {
        this.bucket = bucket;
        this.nanos = nanos;
        this.coolUntil = nanos.getAsLong();
    }

    /** 0 when the frame may go, else the milliseconds to wait before sending it again. */
    public synchronized long take() {
        long now = nanos.getAsLong();
        if (now - coolUntil < 0) {
            return Math.max(1, (coolUntil - now + 999_999) / 1_000_000);
        }
        long wait = bucket.take();
        if (wait > 0) {
            coolUntil = now + wait * 1_000_000;
        }
        return wait;
    }

    /** Another limit (e.g. the user's) refused the frame this budget granted: give the token back, cool down. */
    public synchronized void refusedElsewhere(long waitMs) {
        bucket.giveBack();
        coolUntil = nanos.getAsLong() + waitMs * 1_000_000;
    }
}
