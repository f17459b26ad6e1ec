package dev.pigeonhole.client.internal;

import java.time.Duration;

/** Time for the client's internals: a clock and delayed tasks on the client loop. Tests pass a manual one. */
public interface Timers {
    long nowMillis();

    /** Runs {@code task} on the client loop after {@code delay}. */
    Cancellable schedule(Runnable task, Duration delay);

    interface Cancellable {
        void cancel();
    }
}
