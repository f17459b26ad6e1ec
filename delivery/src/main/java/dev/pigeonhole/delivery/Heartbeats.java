package dev.pigeonhole.delivery;

import dev.pigeonhole.access.PendingWrites;
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
 * for two intervals is presumed half-open and closed with 4000, which frees its stream and session. A connection
 * whose outbound queue stayed full for the slow-consumer timeout is closed with 4003.
 */
@ApplicationScoped
public class Heartbeats {
    private static final Buffer PING = Buffer.buffer("hb");

    /** Per connection: when something last arrived, and its outbound queue. */
    private record Tracked(AtomicLong lastSeen, PendingWrites outbound) {}

    private final Map<WebSocketConnection, Tracked> tracked = new ConcurrentHashMap<>();
    private final long intervalMs;
    private final long slowConsumerMs;
    private long ticks;

    Heartbeats(DeliveryConfig config, DeliveryService service) {
        this.intervalMs = config.pingInterval().toMillis();
        this.slowConsumerMs = service.slowConsumerTimeout().toMillis();
        service.every(config.pingInterval().dividedBy(4), this::tick);
    }

    void track(WebSocketConnection connection, PendingWrites outbound) {
        tracked.put(connection, new Tracked(new AtomicLong(System.currentTimeMillis()), outbound));
    }

    void seen(WebSocketConnection connection) {
        Tracked t = tracked.get(connection);
        if (t != null) {
            t.lastSeen().set(System.currentTimeMillis());
        }
    }

    void untrack(WebSocketConnection connection) {
        tracked.remove(connection);
    }

    private void tick() {
        long now = System.currentTimeMillis();
        boolean ping = ticks++ % 4 == 0;
        tracked.forEach((connection, t) -> {
            if (now - t.lastSeen().get() > 2 * intervalMs) {
                close(connection, CloseCode.HEARTBEAT_TIMEOUT, "no pong for two ping intervals");
            } else if (t.outbound().fullForMillis() > slowConsumerMs) {
                close(connection, CloseCode.SLOW_CONSUMER, "client does not read");
            } else if (ping) {
                connection.sendPing(PING).subscribe().with(ok -> { }, failed -> { });
            }
        });
    }

    private void close(WebSocketConnection connection, CloseCode code, String reason) {
        tracked.remove(connection);
        connection.close(new CloseReason(code.code(), reason)).subscribe().with(ok -> { }, failed -> { });
    }
}
