package dev.pigeonhole.load.scenario;

import dev.pigeonhole.load.Pacer;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Open-loop sending on its own thread: message k goes out at its {@link Pacer} time (or at once if late, keeping its
 * intended time) until the duration is over or {@link #stop} is called.
 */
final class SendLoop implements AutoCloseable {
    /** Sends message {@code k} with intended time {@code intendedNanos}; must not block. */
    interface Send {
        void send(long k, long intendedNanos);
    }

    private final Thread thread;
    private volatile boolean stopped;
    final AtomicLong count = new AtomicLong();
    final long startNanos;

    /** @param seconds how long to send; {@code Double.POSITIVE_INFINITY}: until {@link #stop} */
    SendLoop(double rate, double rampSeconds, double seconds, Send send) {
        Pacer pacer = new Pacer(rate, rampSeconds);
        startNanos = System.nanoTime();
        long end = Double.isInfinite(seconds) ? Long.MAX_VALUE : startNanos + (long) (seconds * 1e9);
        thread = new Thread(() -> {
            try {
                for (long k = 0; !stopped; k++) {
                    long t = startNanos + pacer.offsetNanos(k);
                    if (t >= end) {
                        return;
                    }
                    Pacer.sleepUntil(t);
                    send.send(k, t);
                    count.incrementAndGet();
                }
            } catch (InterruptedException e) {
                // stopped
            }
        }, "load-send-loop");
        thread.setDaemon(true);
        thread.start();
    }

    void stop() throws InterruptedException {
        stopped = true;
        thread.join(10_000);
    }

    void join() throws InterruptedException {
        thread.join();
    }

    /** Seconds since the loop began. */
    double elapsed() {
        return (System.nanoTime() - startNanos) / 1e9;
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }
}
