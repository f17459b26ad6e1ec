package dev.pigeonhole.gateway;

import dev.pigeonhole.protocol.CloseCode;
import dev.pigeonhole.protocol.Frames;
import dev.pigeonhole.protocol.Identity;
import io.quarkus.websockets.next.CloseReason;
import io.quarkus.websockets.next.OnClose;
import io.quarkus.websockets.next.OnError;
import io.quarkus.websockets.next.OnOpen;
import io.quarkus.websockets.next.OnTextMessage;
import io.quarkus.websockets.next.UserData;
import io.quarkus.websockets.next.WebSocket;
import io.quarkus.websockets.next.WebSocketConnection;
import java.util.Optional;

/**
 * {@code /v1/send}: one {@code send} frame in, one {@code accepted}/{@code rejected}/{@code error} frame out.
 * Frames of a connection are handled in order, but the handler does not wait for Kafka: it starts the write and
 * answers from the acknowledgement, so many sends are in flight per connection.
 */
@WebSocket(path = "/v1/send")
public class SendSocket {
    private static final UserData.TypedKey<Identity> IDENTITY = new UserData.TypedKey<>("pigeonhole.identity");

    private final SendService service;
    private final Identities identities;
    private final GatewayMetrics metrics;

    SendSocket(SendService service, Identities identities, GatewayMetrics metrics) {
        this.service = service;
        this.identities = identities;
        this.metrics = metrics;
    }

    @OnOpen
    void open(WebSocketConnection connection) {
        Optional<Identity> identity = identities.resolve(connection.handshakeRequest().query());
        if (identity.isEmpty()) {
            connection.closeAndAwait(new CloseReason(CloseCode.UNAUTHORIZED.code(), identities.refusal()));
            return;
        }
        connection.userData().put(IDENTITY, identity.get());
        metrics.opened();
    }

    @OnTextMessage
    void message(WebSocketConnection connection, String text) {
        Identity sender = connection.userData().get(IDENTITY);
        if (sender == null) {
            return; // refused at open; the close is under way
        }
        service.handleFrame(sender, text).thenAccept(reply ->
                connection.sendText(Frames.encode(reply)).subscribe().with(ok -> { }, closed -> { }));
    }

    /** Transport errors: a message over the size limit closes with 1009, anything else with 1011. */
    @OnError
    void error(WebSocketConnection connection, Throwable error) {
        CloseCode code = CloseCode.forTransportError(error);
        connection.close(new CloseReason(code.code(), code == CloseCode.MESSAGE_TOO_BIG ? "message too big" : "internal error"))
                .subscribe().with(ok -> { }, failed -> { });
    }

    @OnClose
    void close(WebSocketConnection connection) {
        if (connection.userData().get(IDENTITY) != null) {
            metrics.closed();
        }
    }
}
