package dev.pigeonhole.client.internal;

import dev.pigeonhole.client.spi.Transport;
import dev.pigeonhole.protocol.Frames;
import dev.pigeonhole.protocol.ServerFrame;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * One WebSocket the client keeps to the server, with the parts both links share: connect with a timeout,
 * client pings, a silence watchdog, reconnect with backoff, and a generation number so that events of a
 * connection that was already given up are ignored. Every method runs on the client loop.
 */
abstract class Link {
    /** Close code used internally for "declared dead by the watchdog" (never sent on the wire). */
    static final int SILENT = -2;
    /** Close code used internally for "could not connect / transport error". */
    static final int FAILED = -1;

    private final Transport transport;
    private final Executor loop;
    protected final Timers timers;
    private final Duration connectTimeout;
    private final Duration pingInterval;
    protected final Backoff backoff;
    private int generation;
    private Transport.Connection ws;
    private Watchdog watchdog;
    private Timers.Cancellable pinger;
    private Timers.Cancellable retry;
    private Timers.Cancellable connectGuard;
    private boolean connecting;
    private boolean stopped;
    /** The server refused the last handshake with {@code Retry-After}: the next attempt waits at least this. */
    private Duration retryAfter;

    Link(Transport transport, Executor loop, Timers timers, Duration connectTimeout, Duration pingInterval, Backoff backoff) {
        this.transport = transport;
        this.loop = loop;
        this.timers = timers;
        this.connectTimeout = connectTimeout;
        this.pingInterval = pingInterval;
        this.backoff = backoff;
    }

    /** The URI of the next connection. */
    abstract URI uri();

    /** The bearer token for the handshake, or null (dev identity in the URI). */
    abstract String bearer();

    abstract void onConnecting();

    /** The handshake completed. */
    abstract void onUp();

    abstract void onFrame(ServerFrame frame);

    /** A text frame the protocol library does not know (or could not decode). */
    void onUnknown(String text) {}

    /** The connection is gone ({@code code}: WebSocket close code, {@link #FAILED} or {@link #SILENT}). */
    abstract void onDown(int code, String reason);

    final boolean isUp() {
        return ws != null;
    }

    final boolean isConnectingOrUp() {
        return connecting || ws != null || retry != null;
    }

    final boolean stopped() {
        return stopped;
    }

    final void connect() {
        if (stopped || connecting || ws != null) {
            return;
        }
        cancelRetry();
        int gen = ++generation;
        connecting = true;
        onConnecting();
        Watchdog dog = new Watchdog(pingInterval.multipliedBy(2), timers, () -> down(gen, SILENT, "silent for two ping intervals"));
        String bearer = bearer();
        Map<String, String> headers = bearer == null ? Map.of() : Map.of("Authorization", "Bearer " + bearer);
        CompletableFuture<Transport.Connection> opening = transport.open(uri(), headers, connectTimeout, new Transport.Events() {
            @Override
            public void onOpen(Transport.Connection connection) {
                // Runs on the loop before any frame of this connection (same thread, queued first).
                loop.execute(() -> up(gen, connection, dog));
            }

            @Override
            public void onText(String text) {
                ServerFrame frame = null;
                try {
                    frame = Frames.decodeServer(text);
                } catch (IllegalArgumentException e) {
                    // handed over as unknown below
                }
                ServerFrame decoded = frame;
                loop.execute(() -> {
                    if (gen == generation && ws != null) {
                        if (decoded != null) {
                            Link.this.onFrame(decoded);
                        } else {
                            Link.this.onUnknown(text);
                        }
                    }
                });
            }

            @Override
            public void onActivity() {
                dog.touch();
            }

            @Override
            public void onClose(int code, String reason) {
                loop.execute(() -> down(gen, code, reason));
            }

            @Override
            public void onError(Throwable error) {
                loop.execute(() -> down(gen, FAILED, String.valueOf(error)));
            }
        });
        connectGuard = timers.schedule(() -> down(gen, FAILED, "connect timeout"), connectTimeout);
        opening.whenComplete((connection, error) -> loop.execute(() -> {
            if (gen != generation || stopped) {
                if (connection != null) {
                    connection.abort();
                }
            } else if (error != null) {
                retryAfter = retryAfter(error);
                down(gen, FAILED, String.valueOf(error));
            } else {
                up(gen, connection, dog);
            }
        }));
    }

    /** The {@code Retry-After} of a refused handshake, or null. */
    private static Duration retryAfter(Throwable error) {
        for (Throwable e = error; e != null; e = e.getCause()) {
            if (e instanceof Transport.HandshakeRefusedException refused) {
                return refused.retryAfter();
            }
        }
        return null;
    }

    private void up(int gen, Transport.Connection connection, Watchdog dog) {
        if (gen != generation || stopped) {
            connection.abort();
            return;
        }
        if (ws != null) {
            return; // already up (onOpen and the completed handshake both report it)
        }
        connecting = false;
        cancelGuard();
        ws = connection;
        watchdog = dog;
        watchdog.start();
        pinger = timers.schedule(() -> ping(gen), pingInterval);
        onUp();
    }

    /** Sends a text frame on the current connection (no-op when down). */
    final void sendText(String text) {
        if (ws != null) {
            ws.sendText(text);
        }
    }

    /** Gives up the current connection at once, as if it had failed, so that {@link #onDown} runs. */
    final void drop(String reason) {
        down(generation, FAILED, reason);
    }

    /** Closes the current connection normally without {@link #onDown} (e.g. idle). */
    final void closeQuietly() {
        generation++;
        release(true);
    }

    final void scheduleReconnect() {
        if (stopped || retry != null) {
            return;
        }
        Duration delay = backoff.next();
        if (retryAfter != null && retryAfter.compareTo(delay) > 0) {
            delay = retryAfter;
        }
        retryAfter = null;
        retry = timers.schedule(() -> {
            retry = null;
            connect();
        }, delay);
    }

    final void stop() {
        stopped = true;
        generation++;
        cancelRetry();
        release(true);
    }

    private void ping(int gen) {
        if (gen != generation || ws == null) {
            return;
        }
        ws.ping();
        pinger = timers.schedule(() -> ping(gen), pingInterval);
    }

    private void down(int gen, int code, String reason) {
        if (gen != generation || stopped) {
            return;
        }
        generation++;
        release(false);
        onDown(code, reason);
    }

    private void release(boolean normalClose) {
        connecting = false;
        cancelGuard();
        if (watchdog != null) {
            watchdog.stop();
            watchdog = null;
        }
        if (pinger != null) {
            pinger.cancel();
            pinger = null;
        }
        if (ws != null) {
            if (normalClose) {
                ws.close();
            } else {
                ws.abort();
            }
            ws = null;
        }
    }

    private void cancelGuard() {
        if (connectGuard != null) {
            connectGuard.cancel();
            connectGuard = null;
        }
    }

    private void cancelRetry() {
        if (retry != null) {
            retry.cancel();
            retry = null;
        }
    }
}
