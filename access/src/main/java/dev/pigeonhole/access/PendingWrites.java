package dev.pigeonhole.access;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Bytes written to one connection and not yet taken by the network: the server-side outbound queue. Writers stop
 * at {@link #writable()} false and resume when {@link #done} reports the queue drained below the limit; a queue
 * that stays full is a client that does not read (a slow consumer), which the endpoint closes.
 */
public final class PendingWrites {
    private final long limit;
    private final AtomicLong bytes = new AtomicLong();
    private volatile long fullSince = -1;

    public PendingWrites(long limitBytes) {
        this.limit = limitBytes;
    }

    /** Counts a write about to start. */
    public void start(int n) {
        if (bytes.addAndGet(n) >= limit && fullSince < 0) {
            fullSince = System.nanoTime();
        }
    }

    /** A write finished (sent or failed); true when this drained the queue below the limit again. */
    public boolean done(int n) {
        if (bytes.addAndGet(-n) < limit && fullSince >= 0) {
            fullSince = -1;
            return true;
        }
        return false;
    }

    /** Below the limit: more may be written. */
    public boolean writable() {
        return bytes.get() < limit;
    }

    /** Far over the limit (twice): even writes that cannot wait must stop. */
    public boolean overflowing() {
        return bytes.get() > 2 * limit;
    }

    /** How long the queue has been full, in milliseconds (0 when it is not). */
    public long fullForMillis() {
        long since = fullSince;
        return since < 0 ? 0 : (System.nanoTime() - since) / 1_000_000;
    }
}
