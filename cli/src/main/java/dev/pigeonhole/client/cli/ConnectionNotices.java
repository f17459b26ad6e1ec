package dev.pigeonhole.client.cli;

import dev.pigeonhole.client.ConnectionState;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The connection-state lines of the long-running commands ({@code * online}, {@code * offline (retrying)}),
 * debounced: a state is printed only once it has held for {@link #HOLD} and differs from the last one printed.
 *
 * <p>Why: the SDK reports ONLINE when the WebSocket handshake completes. While a server stops, it closes the sockets
 * with 1001 and the client reconnects within a quarter second; a handshake that still gets through is closed at once
 * (1001 when it was upgraded just as the drain began, 1013 once Kafka is closed but the HTTP server still runs).
 * Printed as it happened, that was {@code offline / online / offline} within a second. Attempts while offline go
 * CONNECTING, OFFLINE again and again: CONNECTING is never printed on its own.
 *
 * <p>{@link #awaitFirst} gives the first state synchronously (a chat that starts offline says so before it reads what
 * is typed).
 */
final class ConnectionNotices implements AutoCloseable {
    static final Duration HOLD = Duration.ofSeconds(1);

    private final Consumer<String> print;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "pigeonhole-cli notices");
        t.setDaemon(true);
        return t;
    });
    /** The last ONLINE/OFFLINE reported by the SDK, and a counter of changes (a pending print checks it). */
    private ConnectionState latest;
    private long changes;
    private ConnectionState printed;
    private boolean stopped;

    ConnectionNotices(Consumer<String> print) {
        this.print = print;
    }

    static String line(ConnectionState s) {
        return s == ConnectionState.ONLINE ? "* online" : "* offline (retrying)";
    }

    /** From {@code Listener.onConnectionState}. */
    synchronized void changed(ConnectionState state) {
        if (stopped || state == ConnectionState.CONNECTING || state == ConnectionState.CLOSED || state == latest) {
            return;
        }
        latest = state;
        long change = ++changes;
        notifyAll();
        timer.schedule(() -> held(change), HOLD.toMillis(), TimeUnit.MILLISECONDS);
    }

    private synchronized void held(long change) {
        if (!stopped && change == changes && latest != printed) {
            printed = latest;
            print.accept(line(latest));
        }
    }

    /**
     * Waits up to {@code max} for the outcome of the first connection attempt and prints it at once: {@code * online},
     * {@code * offline (retrying)}, or {@code * connecting...} if there is none yet.
     */
    synchronized void awaitFirst(Duration max) throws InterruptedException {
        long deadline = System.nanoTime() + max.toNanos();
        while (latest == null && !stopped) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                break;
            }
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
        if (stopped || printed != null) {
            return;
        }
        if (latest == null) {
            print.accept("* connecting...");
        } else {
            printed = latest;
            print.accept(line(latest));
        }
    }

    /** No more lines (e.g. the connection was refused: that line says it all). */
    synchronized void stop() {
        stopped = true;
        notifyAll();
    }

    @Override
    public void close() {
        stop();
        timer.shutdownNow();
    }
}
