package dev.pigeonhole.delivery;

import dev.pigeonhole.access.AuthException;
import dev.pigeonhole.access.ConnectionLimiter;
import dev.pigeonhole.access.PendingWrites;
import dev.pigeonhole.protocol.ClientFrame;
import dev.pigeonhole.protocol.CloseCode;
import dev.pigeonhole.protocol.Frames;
import dev.pigeonhole.protocol.Identity;
import dev.pigeonhole.protocol.ProtocolException;
import dev.pigeonhole.protocol.QueryParams;
import dev.pigeonhole.protocol.ServerFrame;
import io.quarkus.websockets.next.CloseReason;
import io.quarkus.websockets.next.OnClose;
import io.quarkus.websockets.next.OnError;
import io.quarkus.websockets.next.OnOpen;
import io.quarkus.websockets.next.OnPongMessage;
import io.quarkus.websockets.next.OnTextMessage;
import io.smallrye.common.annotation.NonBlocking;
import io.quarkus.websockets.next.UserData;
import io.quarkus.websockets.next.WebSocket;
import io.quarkus.websockets.next.WebSocketConnection;
import io.vertx.core.buffer.Buffer;
import java.util.Map;
import java.util.Optional;

/** {@code /v1/inbox?after=&epoch=&window=&newest=}: maps the socket to a {@link DeviceStream}. */
@WebSocket(path = "/v1/inbox")
public class InboxSocket {
    private static final UserData.TypedKey<DeviceStream> STREAM = new UserData.TypedKey<>("pigeonhole.stream");
    private static final UserData.TypedKey<SocketOutbound> OUT = new UserData.TypedKey<>("pigeonhole.out");
    private static final UserData.TypedKey<ConnectionLimiter.Lease> LEASE = new UserData.TypedKey<>("pigeonhole.lease");
    private static final Frames FRAMES = new Frames(Frames.DEFAULT_MAX_BODY_BYTES);

    private final DeliveryService service;
    private final Heartbeats heartbeats;

    InboxSocket(DeliveryService service, Heartbeats heartbeats) {
        this.service = service;
        this.heartbeats = heartbeats;
    }

    @OnOpen
    void open(WebSocketConnection connection) {
        if (service.draining()) { // upgraded just before the drain began
            DeliveryService.closeDraining(connection);
            return;
        }
        if (!service.ready()) {
            close(connection, CloseCode.TRY_AGAIN_LATER, "starting");
            return;
        }
        Map<String, String> query = QueryParams.parse(connection.handshakeRequest().query());
        Identity identity;
        try {
            identity = service.authenticate(connection.handshakeRequest().header("Authorization"), query);
        } catch (AuthException e) {
            close(connection, CloseCode.UNAUTHORIZED, e.getMessage());
            return;
        }
        DeviceStream.Params params;
        try {
            params = service.params(query);
        } catch (IllegalArgumentException e) {
            close(connection, CloseCode.BAD_REQUEST, e.getMessage());
            return;
        }
        Optional<ConnectionLimiter.Lease> lease = service.admit(identity);
        if (lease.isEmpty()) {
            close(connection, CloseCode.TOO_MANY_CONNECTIONS, "too many connections for " + identity.user() + "/" + identity.device());
            return;
        }
        connection.userData().put(LEASE, lease.get());
        PendingWrites pending = service.newPendingWrites();
        heartbeats.track(connection, pending);
        SocketOutbound out = new SocketOutbound(connection, pending);
        DeviceStream stream = service.open(identity, params, out);
        out.stream = stream;
        connection.userData().put(OUT, out);
        connection.userData().put(STREAM, stream);
    }

    /** On the event loop: nothing here blocks (acks are written to Kafka later, by {@link AckCoalescer}). */
    @NonBlocking
    @OnTextMessage
    void text(WebSocketConnection connection, String text) {
        heartbeats.seen(connection);
        DeviceStream stream = connection.userData().get(STREAM);
        if (stream == null) {
            return;
        }
        try {
            ClientFrame frame = FRAMES.parseInbox(text);
            if (frame instanceof ClientFrame.Ping) {
                // life was noted above; the pong counts in the outbound queue, so a client that pings and never
                // reads ends as a slow consumer (4003)
                connection.userData().get(OUT).send(ServerFrame.Pong.TEXT, () -> { });
            } else if (frame instanceof ClientFrame.Ack ack) {
                stream.onAck(ack.seq());
            } else if (frame instanceof ClientFrame.Read read) {
                stream.onRead(read.seq());
            } else if (frame instanceof ClientFrame.Fetch fetch) {
                stream.onFetch(fetch.from(), fetch.to());
            } else if (frame instanceof ClientFrame.Shadow shadow) {
                service.shadow(stream.identity(), shadow).thenAccept(answer -> connection.sendText(answer)
                        .subscribe().with(ok -> { }, failed -> { }));
            }
        } catch (dev.pigeonhole.protocol.ShadowFrameException e) {
            reply(connection, e.rejection());
        } catch (ProtocolException e) {
            reply(connection, new ServerFrame.Error(e.code(), e.getMessage()));
        }
    }

    @OnPongMessage
    void pong(WebSocketConnection connection, Buffer data) {
        heartbeats.seen(connection);
    }

    /** Transport errors: a message over the size limit closes with 1009, anything else with 1011. */
    @OnError
    void error(WebSocketConnection connection, Throwable error) {
        CloseCode code = CloseCode.forTransportError(error);
        connection.close(new CloseReason(code.code(), code == CloseCode.MESSAGE_TOO_BIG ? "message too big" : "internal error"))
                .subscribe().with(ok -> { }, failed -> { });
    }

    @OnClose
    void closed(WebSocketConnection connection) {
        heartbeats.untrack(connection);
        ConnectionLimiter.Lease lease = connection.userData().get(LEASE);
        if (lease != null) {
            lease.release();
        }
        DeviceStream stream = connection.userData().get(STREAM);
        if (stream != null) {
            service.closed(stream);
        }
    }

    private static void reply(WebSocketConnection connection, ServerFrame frame) {
        connection.sendText(Frames.encode(frame)).subscribe().with(ok -> { }, failed -> { });
    }

    private static void close(WebSocketConnection connection, CloseCode code, String reason) {
        connection.closeAndAwait(new CloseReason(code.code(), reason));
    }

    /**
     * Writes frames to the socket, counting the bytes not yet taken by the network: the stream pauses while the
     * queue is full and resumes when it drains; {@link Heartbeats} closes a socket that stays full.
     */
    private static final class SocketOutbound implements DeviceStream.Outbound {
        private final WebSocketConnection connection;
        private final PendingWrites pending;
        private volatile DeviceStream stream;

        SocketOutbound(WebSocketConnection connection, PendingWrites pending) {
            this.connection = connection;
            this.pending = pending;
        }

        @Override
        public void send(String text, Runnable written) {
            if (pending.overflowing()) {
                close(CloseCode.SLOW_CONSUMER, "client does not read");
                return;
            }
            int bytes = text.length();
            pending.start(bytes);
            connection.sendText(text).subscribe().with(ok -> {
                drained(bytes);
                written.run();
            }, failed -> drained(bytes));
        }

        @Override
        public boolean writable() {
            return pending.writable();
        }

        @Override
        public void close(CloseCode code, String reason) {
            connection.close(new CloseReason(code.code(), reason)).subscribe().with(ok -> { }, failed -> { });
        }

        private void drained(int bytes) {
            DeviceStream s = stream;
            if (pending.done(bytes) && s != null) {
                s.onWritable();
            }
        }
    }
}
