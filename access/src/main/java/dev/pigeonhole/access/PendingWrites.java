package dev.pigeonhole.access;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Frames written to one connection and not yet accepted by the network. Past the limit the client is not reading:
 * it is closed as a slow consumer rather than buffered without bound.
 */
public final class PendingWrites {
    private final int limit;
    private final AtomicInteger pending = new AtomicInteger();

    public PendingWrites(int limit) {
        this.limit = limit;
    }

    /** Counts a write about to start; false when the connection already has {@code limit} pending. */
    public boolean start() {
        if (pending.incrementAndGet() > limit) {
            pending.decrementAndGet();
            return false;
        }
        return true;
    }

    /** A write finished (written or failed). */
    public void done() {
        pending.decrementAndGet();
    }
}
