package dev.pigeonhole.access;

import java.util.function.LongSupplier;

/**
 * The send budget of one connection: a {@link TokenBucket} with an ordering rule for refusals. Once a send was
 * refused, the connection accepts nothing but that same message id first (until {@link #MAX_BLOCK_NANOS} pass):
 * frames the client had pipelined behind it are refused too, so a client that resends in order after the
 * announced wait keeps its order — no later message can be stored before the refused one.
 */
public final class SendBudget {
    /** How long a refused id keeps the connection blocked if the client never sends it again. */
    static final long MAX_BLOCK_NANOS = 10_000_000_000L;

    private final TokenBucket bucket;
    private final LongSupplier nanos;
    private long coolUntil;
    /** Refused by a rate limit: answered {@code rate_limited} until it comes back. */
    private final Hold rateLimited = new Hold();
    /** Not stored (Kafka did not acknowledge it): answered {@code unavailable} until it comes back. */
    private final Hold notStored = new Hold();

    public SendBudget(TokenBucket bucket, LongSupplier nanos) {
        this.bucket = bucket;
        this.nanos = nanos;
        this.coolUntil = nanos.getAsLong();
    }

    public long take(String id) {
        return take(id, 1);
    }

    /**
     * Whether the frame carrying message {@code id} (null when the frame has none) may go at {@code cost} tokens (one
     * per recipient copy): 0, else the milliseconds to wait before sending it again.
     */
    public synchronized long take(String id, int cost) {
        long now = nanos.getAsLong();
        String held = rateLimited.current(now);
        if (held != null && !held.equals(id)) {
            return millisUntil(coolUntil, now);
        }
        if (now - coolUntil < 0) {
            return millisUntil(coolUntil, now);
        }
        long wait = bucket.take(cost);
        if (wait > 0) {
            refuse(id, now, wait);
            return wait;
        }
        rateLimited.release(id);
        return 0;
    }

    /**
     * Message {@code id} was not stored (Kafka did not acknowledge it): until it is sent again, {@link #mustResendFirst}
     * names it, so the connection refuses later messages — none can be stored before it (until
     * {@link #MAX_BLOCK_NANOS} pass).
     */
    public synchronized void notStored(String id) {
        notStored.hold(id, nanos.getAsLong());
    }

    /** The message that must come back before {@code id} may go, or null; its coming back clears it. */
    public synchronized String mustResendFirst(String id) {
        notStored.release(id);
        return notStored.current(nanos.getAsLong());
    }

    /** Another limit (e.g. the user's) refused the frame this budget granted: give the tokens back, block on it. */
    public synchronized void refusedElsewhere(String id, long waitMs, int cost) {
        bucket.giveBack(cost);
        refuse(id, nanos.getAsLong(), waitMs);
    }

    private void refuse(String id, long now, long waitMs) {
        coolUntil = now + waitMs * 1_000_000;
        rateLimited.hold(id, now);
    }

    private static long millisUntil(long until, long now) {
        return Math.max(1, (until - now + 999_999) / 1_000_000);
    }

    /** One refused message id the connection waits for, forgotten after {@link #MAX_BLOCK_NANOS}. */
    private static final class Hold {
        private String id;
        private long since;

        /** Holds {@code id} unless one is held already (the first refused is the one to come back first). */
        void hold(String id, long now) {
            if (id != null && this.id == null) {
                this.id = id;
                this.since = now;
            }
        }

        /** The held id, or null. */
        String current(long now) {
            if (id != null && now - since > MAX_BLOCK_NANOS) {
                id = null;
            }
            return id;
        }

        /** {@code id} came back: nothing is held any more. */
        void release(String id) {
            if (id != null && id.equals(this.id)) {
                this.id = null;
            }
        }
    }
}
