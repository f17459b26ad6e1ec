package dev.pigeonhole.client.internal;

import java.time.Duration;

/**
 * Declares a connection dead when nothing arrived on it for {@code timeout} (two ping intervals): a half-open TCP
 * connection delivers nothing and reports no error, so only silence can reveal it. Any inbound frame, ping or
 * pong resets it ({@link #touch()}, callable from any thread).
 */
public final class Watchdog {
    private final long timeoutMs;
    private final Timers timers;
    private final Runnable onSilence;
    private volatile long lastSeen;
    private Timers.Cancellable check;
    private boolean running;

    public Watchdog(Duration timeout, Timers timers, Runnable onSilence) {
        this.timeoutMs = timeout.toMillis();
        this.timers = timers;
        this.onSilence = onSilence;
    }

    /** Starts watching now (on the client loop). */
    public void start() {
        running = true;
        lastSeen = timers.nowMillis();
        scheduleCheck(timeoutMs);
    }

    public void touch() {
        lastSeen = timers.nowMillis();
    }

    public void stop() {
        running = false;
        if (check != null) {
            check.cancel();
            check = null;
        }
    }

    private void check() {
        if (!running) {
            return;
        }
        long silent = timers.nowMillis() - lastSeen;
        if (silent >= timeoutMs) {
            running = false;
            onSilence.run();
        } else {
            scheduleCheck(timeoutMs - silent);
        }
    }

    private void scheduleCheck(long delayMs) {
        check = timers.schedule(this::check, Duration.ofMillis(delayMs));
    }
}
