package dev.pigeonhole.delivery;

import java.util.ArrayDeque;
import java.util.Queue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The entry bytes this instance's streams hold: read from the store or pushed, and not yet handed to a socket. A
 * stream reserves a page's bytes before it reads one; when the instance is at its limit the read waits here until
 * another stream hands entries on, so however many devices reconnect at once, memory for fetched entries stays at
 * {@code limit} (plus at most one entry per reading stream: a page always holds at least one).
 */
final class StreamBuffers {
    private final long limit;
    private final Executor wakeups;
    private final AtomicLong bytes = new AtomicLong();
    private final AtomicLong peak = new AtomicLong();
    private final Queue<Waiter> waiting = new ArrayDeque<>();

    private record Waiter(long bytes, Runnable retry) {}

    /** @param wakeups runs waiting streams' callbacks, never on the caller's thread (which may hold a stream's lock) */
    StreamBuffers(long limit, Executor wakeups) {
        if (limit < 1) {
            throw new IllegalArgumentException("buffered-bytes must be at least 1");
        }
        this.limit = limit;
        this.wakeups = wakeups;
    }

    /** Takes {@code n} bytes if the instance has room for them. */
    boolean tryTake(long n) {
        while (true) {
            long held = bytes.get();
            if (held + n > limit) {
                return false;
            }
            if (bytes.compareAndSet(held, held + n)) {
                peak.accumulateAndGet(held + n, Math::max);
                return true;
            }
        }
    }

    /** Takes {@code n} bytes whatever the limit (the rest of a page that held more than was reserved). */
    void take(long n) {
        if (n > 0) {
            peak.accumulateAndGet(bytes.addAndGet(n), Math::max);
        }
    }

    void release(long n) {
        if (n > 0) {
            bytes.addAndGet(-n);
            wake();
        }
    }

    /** Runs {@code retry} once there is room for {@code want} bytes (waiters are woken in the order they came). */
    void await(long want, Runnable retry) {
        synchronized (waiting) {
            waiting.add(new Waiter(want, retry));
        }
        wake();
    }

    long held() {
        return bytes.get();
    }

    /** The most held at any time since start. */
    long peak() {
        return peak.get();
    }

    /** Wakes as many waiters, in order, as the free bytes are enough for; a woken one that loses a race waits again. */
    private void wake() {
        synchronized (waiting) {
            long room = limit - bytes.get();
            Waiter w;
            while ((w = waiting.peek()) != null && w.bytes() <= room) {
                waiting.poll();
                room -= w.bytes();
                wakeups.execute(w.retry());
            }
        }
    }
}
