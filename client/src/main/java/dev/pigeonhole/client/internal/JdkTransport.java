package dev.pigeonhole.client.internal;

import dev.pigeonhole.client.spi.Transport;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The shipped {@link Transport}: WebSockets of the JDK's {@code java.net.http} client. Reassembles fragmented text
 * and serializes sends (the JDK allows one outstanding send at a time). Event calls come from one thread at a time,
 * in arrival order.
 */
public final class JdkTransport implements Transport {
    private static final byte[] PING = {'p', 'h'};

    private final HttpClient http;

    public JdkTransport(HttpClient http) {
        this.http = http;
    }

    @Override
    public CompletableFuture<Connection> open(URI uri, Map<String, String> headers, Duration connectTimeout,
                                              Events events) {
        Listener listener = new Listener(events);
        WebSocket.Builder builder = http.newWebSocketBuilder().connectTimeout(connectTimeout);
        headers.forEach(builder::header);
        return builder.buildAsync(uri, listener).handle((socket, error) -> {
            if (error != null) {
                throw new java.util.concurrent.CompletionException(refused(error));
            }
            return (Connection) listener.connection(socket);
        });
    }

    /**
     * A handshake the server refused as {@link HandshakeRefusedException}, with its {@code Retry-After} (seconds, at
     * most 300; null for none or an HTTP date) — delivery answers 503 with it while it sheds a reconnect storm.
     */
    private static Throwable refused(Throwable error) {
        for (Throwable e = error; e != null; e = e.getCause()) {
            if (e instanceof WebSocketHandshakeException h && h.getResponse() != null) {
                String value = h.getResponse().headers().firstValue("Retry-After").orElse("").strip();
                Duration retryAfter = value.matches("\\d{1,9}") ? Duration.ofSeconds(Math.min(300, Long.parseLong(value))) : null;
                HandshakeRefusedException refused = new HandshakeRefusedException(h.getResponse().statusCode(), retryAfter);
                refused.initCause(h);
                return refused;
            }
        }
        return error;
    }

    private static final class JdkConnection implements Connection {
        private final WebSocket socket;
        private CompletableFuture<?> lastSend = CompletableFuture.completedFuture(null);

        JdkConnection(WebSocket socket) {
            this.socket = socket;
        }

        @Override
        public synchronized void sendText(String text) {
            lastSend = lastSend.handle((ok, error) -> null).thenCompose(ignored -> socket.sendText(text, true));
        }

        /** Queued behind any queued text. */
        @Override
        public synchronized void ping() {
            lastSend = lastSend.handle((ok, error) -> null).thenCompose(ignored -> socket.sendPing(ByteBuffer.wrap(PING)));
        }

        @Override
        public void close() {
            socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye").exceptionally(e -> null);
        }

        @Override
        public void abort() {
            socket.abort();
        }
    }

    private static final class Listener implements WebSocket.Listener {
        private final Events events;
        private final StringBuilder partial = new StringBuilder();
        private JdkConnection connection;

        Listener(Events events) {
            this.events = events;
        }

        synchronized JdkConnection connection(WebSocket socket) {
            if (connection == null) {
                connection = new JdkConnection(socket);
            }
            return connection;
        }

        @Override
        public void onOpen(WebSocket webSocket) {
            events.onOpen(connection(webSocket));
            webSocket.request(1);
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            events.onActivity();
            partial.append(data);
            if (last) {
                String text = partial.toString();
                partial.setLength(0);
                events.onText(text);
            }
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onPing(WebSocket webSocket, ByteBuffer message) {
            events.onActivity();
            webSocket.request(1);
            return null; // the JDK answers with a pong
        }

        @Override
        public CompletionStage<?> onPong(WebSocket webSocket, ByteBuffer message) {
            events.onActivity();
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
            events.onActivity();
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            events.onClose(statusCode, reason);
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            events.onError(error);
        }
    }
}
