package dev.pigeonhole.load.client;

import dev.pigeonhole.load.Target;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The load generator's network: one Vert.x instance and one WebSocket client per loopback source address
 * (127.0.0.2 …), handed out round-robin, so one machine opens more connections to one server port than the
 * ephemeral port range (and the server's per-address cap) allows from a single address. Also counts the connections
 * open right now, for the "connections over time" series.
 */
public final class Wire implements AutoCloseable {
    public static final long HANDSHAKE_TIMEOUT_MS = 30_000;
    private final Vertx vertx;
    private final List<WebSocketClient> clients = new ArrayList<>();
    private final AtomicInteger next = new AtomicInteger();
    /** WebSockets open now (inbox and send), and opened in all. */
    public final AtomicInteger open = new AtomicInteger();
    public final AtomicInteger opened = new AtomicInteger();

    public Wire(int sourceAddresses, int eventLoops) {
        vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(Math.max(1, eventLoops)).setWorkerPoolSize(1)
                .setBlockedThreadCheckInterval(10_000));
        for (int a = 0; a < Math.max(1, sourceAddresses); a++) {
            WebSocketClientOptions options = new WebSocketClientOptions().setMaxConnections(Integer.MAX_VALUE)
                    .setConnectTimeout(10_000).setMaxFrameSize(1 << 20).setMaxMessageSize(1 << 20);
            if (sourceAddresses > 0) {
                options.setLocalAddress("127.0.0." + (2 + a));
            }
            clients.add(vertx.createWebSocketClient(options));
        }
    }

    public static Wire forTarget(Target target) {
        return new Wire(target.sourceAddresses(), 2);
    }

    public Vertx vertx() {
        return vertx;
    }

    /**
     * Opens {@code base + pathAndQuery} ({@code base} is {@code ws://host:port}) from the next source address.
     * {@code bearer}, when not null, goes into an {@code Authorization} header. Fails when the handshake has not
     * completed within {@link #HANDSHAKE_TIMEOUT_MS}; a socket that opens later is closed at once.
     *
     * <p>The deadline is ours, not {@code WebSocketConnectOptions.setTimeout}: with Vert.x 4.5.27 that timer is now
     * and then left running after a successful handshake and, when it fires, closes the open socket with 1000 (seen
     * on 1 of ~2,000 idle connections: closed 30.8 s after a handshake that took 1.4 s).
     */
    public Future<WebSocket> connect(URI base, String pathAndQuery, String bearer) {
        WebSocketConnectOptions options = new WebSocketConnectOptions().setHost(base.getHost())
                .setPort(base.getPort() > 0 ? base.getPort() : 80).setURI(pathAndQuery)
                .setSsl("wss".equals(base.getScheme()));
        if (bearer != null) {
            options.addHeader("Authorization", "Bearer " + bearer);
        }
        WebSocketClient client = clients.get(Math.floorMod(next.getAndIncrement(), clients.size()));
        Promise<WebSocket> result = Promise.promise();
        long deadline = vertx.setTimer(HANDSHAKE_TIMEOUT_MS, t -> result.tryFail(
                new TimeoutException("no WebSocket handshake within " + HANDSHAKE_TIMEOUT_MS + " ms")));
        client.connect(options).onComplete(connected -> {
            vertx.cancelTimer(deadline);
            if (connected.failed()) {
                result.tryFail(connected.cause());
                return;
            }
            WebSocket ws = connected.result();
            open.incrementAndGet();
            opened.incrementAndGet();
            ws.closeHandler(v -> open.decrementAndGet());
            if (!result.tryComplete(ws)) {
                ws.close();
            }
        });
        return result.future();
    }

    /**
     * Sets {@code ws}'s close handler (a WebSocket has one: setting it replaces the one {@link #connect} set to keep
     * {@link #open} right, so clients set theirs through here).
     */
    public void whenClosed(WebSocket ws, Runnable then) {
        ws.closeHandler(v -> {
            open.decrementAndGet();
            then.run();
        });
    }

    @Override
    public void close() {
        try {
            vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            // closing anyway: the sockets go with the process
        }
    }
}
