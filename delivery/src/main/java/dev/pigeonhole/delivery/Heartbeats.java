package dev.pigeonhole.delivery;

import dev.pigeonhole.protocol.CloseCode;
import io.quarkus.websockets.next.CloseReason;
import io.quarkus.websockets.next.WebSocketConnection;
import io.vertx.core.buffer.Buffer;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Server side of liveness (S7): pings every interval; a connection from which nothing (pong or frame) arrived
 * for two intervals is presumed half-open and closed with 4000, which frees its stream and session.
 */
@ApplicationScoped
public class Heartbeats {
    private static final Buffer PING = Buffer.buffer("hb");

    private final Map<WebSocketConnection, AtomicLong> lastSeen = new ConcurrentHashMap<>();
    private final long intervalMs;
    private long ticks;

    Heartbeats(DeliveryConfig config, DeliveryService service) {
        this.intervalMs = config.pingInterval().toMillis();
        service.every(config.pingInterval().dividedBy(4), this::tick);
    }

    void track(WebSocketConnection connection) {
        lastSeen.put(connection, new AtomicLong(System.currentTimeMillis()));
    }

    void seen(WebSocketConnection connection) {
        AtomicLong t = lastSeen.get(connection);
        if (t != null) {
            t.set(System.currentTimeMillis());
        }
    }

    void untrack(WebSocketConnection connection) {
        lastSeen.remove(connection);
    }

    private void tick() {
        long now = System.currentTimeMillis();
        boolean ping = ticks++ % 4 == 0;
        lastSeen.forEach((connection, seen) -> {
            if (now - seen.get() > 2 * intervalMs) {
                lastSeen.remove(connection);
                connection.close(new CloseReason(CloseCode.HEARTBEAT_TIMEOUT.code(), "no pong for two ping intervals"))
                        .subscribe().with(ok -> { }, failed -> { });
            } else if (ping) {
                connection.sendPing(PING).subscribe().with(ok -> { }, failed -> { });
            }
        });
    }
}
