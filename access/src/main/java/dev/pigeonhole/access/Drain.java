package dev.pigeonhole.access;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.Collections;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Closes an instance's sockets when it shuts down, at a bounded rate, so that its clients do not all reconnect to
 * the other instances in the same instant: the k-th close (from 0) is made no earlier than k / rate seconds after the
 * start. What is still open at the timeout is closed at once. {@link #run} blocks (the pre-shutdown phase) until every
 * socket is gone or the timeout passed, so the server stops only after its clients were told.
 */
public final class Drain<T> {
    /** The reason of the 1001 close a drained socket gets (docs/protocol.md, close codes). */
    public static final String REASON = "draining; reconnect with backoff";

    /** How often the end of closes already asked for is checked. */
    static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

    /** Time as the drain sees it; tests advance it by hand. */
    public interface Clock {
        long nanos();

        void sleep(long nanos) throws InterruptedException;

        Clock SYSTEM = new Clock() {
            @Override
            public long nanos() {
                return System.nanoTime();
            }

            @Override
            public void sleep(long nanos) throws InterruptedException {
                TimeUnit.NANOSECONDS.sleep(nanos);
            }
        };
    }

    /** {@code closed}: asked to close at the paced rate; {@code forced}: closed at once at the timeout. */
    public record Result(int closed, int forced, Duration took) {}

    /** How long {@link #awaitClosed} waits for the close callbacks of the sockets a drain closed. */
    public static final Duration CLOSE_CALLBACKS = Duration.ofSeconds(5);

    /**
     * Waits (at most {@link #CLOSE_CALLBACKS}) until {@code done}: after {@link #run} the sockets are closing, and
     * their close callbacks must run while the application still does (a client answers a close at once).
     */
    public static void awaitClosed(java.util.function.BooleanSupplier done) {
        long deadline = System.nanoTime() + CLOSE_CALLBACKS.toNanos();
        try {
            while (!done.getAsBoolean() && System.nanoTime() - deadline < 0) {
                TimeUnit.MILLISECONDS.sleep(10);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private final int perSecond;
    private final Duration timeout;
    private final Clock clock;

    /** @param perSecond closes per second; 0: all at once */
    public Drain(int perSecond, Duration timeout) {
        this(perSecond, timeout, Clock.SYSTEM);
    }

    Drain(int perSecond, Duration timeout, Clock clock) {
        if (perSecond < 0 || timeout.isNegative()) {
            throw new IllegalArgumentException("drain rate and timeout must be >= 0");
        }
        this.perSecond = perSecond;
        this.timeout = timeout;
        this.clock = clock;
    }

    /**
     * @param open  what is still open; asked again whenever the ones seen are done, so a socket that opened
     *              meanwhile is closed too
     * @param close asks one to close, once; it may finish first (e.g. answer its sends in flight)
     * @param force closes one at once: at the timeout, whatever is still open
     */
    public Result run(Supplier<? extends Collection<T>> open, Consumer<T> close, Consumer<T> force) {
        long start = clock.nanos();
        long deadline = start + timeout.toNanos();
        Set<T> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        Deque<T> queue = new ArrayDeque<>();
        int closed = 0;
        try {
            while (true) {
                long now = clock.nanos();
                if (queue.isEmpty()) {
                    Collection<T> left = open.get();
                    if (left.isEmpty()) {
                        return new Result(closed, 0, Duration.ofNanos(now - start));
                    }
                    for (T t : left) {
                        if (seen.add(t)) {
                            queue.add(t);
                        }
                    }
                }
                if (now - deadline >= 0) {
                    break;
                }
                if (queue.isEmpty()) { // all asked; waiting for them to end
                    clock.sleep(Math.min(POLL_NANOS, deadline - now));
                    continue;
                }
                long due = perSecond == 0 ? start : start + closed * 1_000_000_000L / perSecond;
                if (due - now > 0) {
                    clock.sleep(Math.min(due, deadline) - now);
                    continue;
                }
                close.accept(queue.poll());
                closed++;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        int forced = 0;
        for (T t : open.get()) {
            force.accept(t);
            forced++;
        }
        return new Result(closed, forced, Duration.ofNanos(clock.nanos() - start));
    }
}
