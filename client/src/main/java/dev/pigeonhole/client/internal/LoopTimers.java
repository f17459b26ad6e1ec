package dev.pigeonhole.client.internal;

import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/** {@link Timers} on the client's single-threaded loop and the system clock. */
public final class LoopTimers implements Timers {
    private final ScheduledExecutorService loop;

    public LoopTimers(ScheduledExecutorService loop) {
        this.loop = loop;
    }

    @Override
    public long nowMillis() {
        return System.currentTimeMillis();
    }

    @Override
    public Cancellable schedule(Runnable task, Duration delay) {
        if (loop.isShutdown()) {
            return () -> { };
        }
        ScheduledFuture<?> f = loop.schedule(task, Math.max(0, delay.toMillis()), TimeUnit.MILLISECONDS);
        return () -> f.cancel(false);
    }
}
