package dev.pigeonhole.gateway;

import dev.pigeonhole.access.AuthException;
import dev.pigeonhole.access.Authenticator;
import dev.pigeonhole.access.ConnectionLimiter;
import dev.pigeonhole.access.Drain;
import dev.pigeonhole.access.PendingWrites;
import dev.pigeonhole.access.SendBudget;
import dev.pigeonhole.protocol.CloseCode;
import dev.pigeonhole.protocol.ErrorCode;
import dev.pigeonhole.protocol.Frames;
import dev.pigeonhole.protocol.Identity;
import dev.pigeonhole.protocol.QueryParams;
import dev.pigeonhole.protocol.ServerFrame;
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
    /** What a connection carries once it was let in. */
    private record Session(Identity identity, ConnectionLimiter.Lease lease, SendBudget budget, PendingWrites pending,
                           InboxOpsWriter.Lane lane, InFlight inFlight) {}

    private static final UserData.TypedKey<Session> SESSION = new UserData.TypedKey<>("pigeonhole.session");

    private final SendService service;
    private final Authenticator authenticator;
    private final GatewayConnections connections;
    private final InboxOpsWriter writer;

    SendSocket(SendService service, Authenticator authenticator, GatewayConnections connections, InboxOpsWriter writer) {
        this.service = service;
        this.authenticator = authenticator;
        this.connections = connections;
        this.writer = writer;
    }

    @OnOpen
    void open(WebSocketConnection connection) {
        if (connections.draining()) { // upgraded just before the drain began
            closeDraining(connection);
            return;
        }
        Identity identity;
        try {
            identity = authenticator.authenticate(connection.handshakeRequest().header("Authorization"),
                    QueryParams.parse(connection.handshakeRequest().query()));
        } catch (AuthException e) {
            close(connection, CloseCode.UNAUTHORIZED, e.getMessage());
            return;
        }
        Optional<ConnectionLimiter.Lease> lease = connections.limiter().acquire(identity);
        if (lease.isEmpty()) {
            close(connection, CloseCode.TOO_MANY_CONNECTIONS, "too many connections for " + identity.user());
            return;
        }
        connection.userData().put(SESSION, new Session(identity, lease.get(), connections.newBudget(),
                connections.newPendingWrites(), new InboxOpsWriter.Lane(), new InFlight()));
        connections.opened();
    }

    @OnTextMessage
    void message(WebSocketConnection connection, String text) {
        Session session = connection.userData().get(SESSION);
        if (session == null) {
            return; // refused at open; the close is under way
        }
        if (!session.inFlight().start()) {
            return; // draining: the close follows the last answer; unanswered, this send is sent again elsewhere
        }
        service.handleFrame(session.identity(), text, session.budget(), session.lane()).thenAccept(reply -> {
            reply(connection, session, reply);
            if (reply instanceof ServerFrame.Rejected r && r.code() == ErrorCode.UNAVAILABLE
                    && writer.stale(session.lane())) {
                // Kafka failed a write outright: this connection's sends cannot go on in order; it starts over.
                connection.close(new CloseReason(CloseCode.TRY_AGAIN_LATER.code(),
                        "a write failed in Kafka; reconnect and send everything unanswered again"))
                        .subscribe().with(ok -> { }, failed -> { });
            }
            if (session.inFlight().answered()) {
                closeDraining(connection); // after the reply: frames of a connection are written in order
            }
        });
    }

    /** Drain (shutdown): the socket closes with 1001 once its sends in flight are answered; no new send starts. */
    static void drain(WebSocketConnection connection) {
        Session session = connection.userData().get(SESSION);
        if (session == null || session.inFlight().drain()) {
            closeDraining(connection);
        }
    }

    static void closeDraining(WebSocketConnection connection) {
        connection.close(new CloseReason(CloseCode.GOING_AWAY.code(), Drain.REASON)).subscribe().with(ok -> { }, failed -> { });
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
        Session session = connection.userData().get(SESSION);
        if (session != null) {
            session.lease().release();
            connections.closed();
        }
    }

    private static void reply(WebSocketConnection connection, Session session, ServerFrame reply) {
        String text = Frames.encode(reply);
        int bytes = text.length();
        session.pending().start(bytes);
        if (!session.pending().writable()) {
            connection.close(new CloseReason(CloseCode.SLOW_CONSUMER.code(), "client does not read its replies"))
                    .subscribe().with(ok -> { }, failed -> { });
            return;
        }
        connection.sendText(text).subscribe().with(ok -> session.pending().done(bytes),
                failed -> session.pending().done(bytes));
    }

    private static void close(WebSocketConnection connection, CloseCode code, String reason) {
        connection.closeAndAwait(new CloseReason(code.code(), reason));
    }
}
