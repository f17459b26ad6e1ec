package dev.pigeonhole.standalone;

import dev.pigeonhole.protocol.Frames;
import dev.pigeonhole.protocol.ServerFrame;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * A raw protocol client for the tests (the SDK uses its own transport): one WebSocket on the JDK client that
 * reassembles fragmented text, decodes server frames, and serializes sends (the JDK allows one outstanding send at a
 * time). Handler calls come from one thread at a time, in arrival order.
 */
public final class WsConnection implements AutoCloseable {

    /** Callbacks; all but {@link #onFrame} have no-op defaults. */
    public interface Handler {
        /** The handshake completed; called before any frame of this connection. */
        default void onOpen(WsConnection connection) {}

        void onFrame(ServerFrame frame);

        /** Any inbound frame or ping; what a watchdog resets on. */
        default void onActivity() {}

        /** A text frame that is not a known server frame. */
        default void onUnknown(String text) {}

        default void onClose(int code, String reason) {}

        default void onError(Throwable error) {}
    }

    private static final byte[] PING = {'p', 'h'};

    private final WebSocket socket;
    private CompletableFuture<?> lastSend = CompletableFuture.completedFuture(null);

    private WsConnection(WebSocket socket) {
        this.socket = socket;
    }

    public static CompletableFuture<WsConnection> open(HttpClient http, URI uri, Duration timeout, Handler handler) {
        return open(http, uri, null, timeout, handler);
    }

    /** @param bearer a token for the {@code Authorization} header, or null */
    public static CompletableFuture<WsConnection> open(HttpClient http, URI uri, String bearer, Duration timeout,
                                                      Handler handler) {
        Listener listener = new Listener(handler);
        WebSocket.Builder builder = http.newWebSocketBuilder().connectTimeout(timeout);
        if (bearer != null) {
            builder.header("Authorization", "Bearer " + bearer);
        }
        return builder.buildAsync(uri, listener).thenApply(socket -> listener.connection(socket));
    }

    /** Queues a text frame; completes when the JDK handed it to the socket. */
    /**
     * The {@code Retry-After} (seconds, at most 300) of a handshake the server refused — delivery answers 503 with
     * it while it sheds a reconnect storm — or null (no such header, or an HTTP date).
     */
    public static Duration retryAfter(Throwable error) {
        for (Throwable e = error; e != null; e = e.getCause()) {
            if (e instanceof WebSocketHandshakeException h && h.getResponse() != null) {
                String value = h.getResponse().headers().firstValue("Retry-After").orElse("").strip();
                return value.matches("\\d{1,9}") ? Duration.ofSeconds(Math.min(300, Long.parseLong(value))) : null;
            }
        }
        return null;
    }

    public synchronized CompletableFuture<Void> send(String text) {
        CompletableFuture<Void> sent = lastSend.handle((ok, error) -> null)
                .thenCompose(ignored -> socket.sendText(text, true)).thenApply(ws -> null);
        lastSend = sent;
        return sent;
    }

    /** Queues a ping (behind any queued text); the server's pong shows the connection is alive. */
    public synchronized CompletableFuture<Void> ping() {
        CompletableFuture<Void> sent = lastSend.handle((ok, error) -> null)
                .thenCompose(ignored -> socket.sendPing(ByteBuffer.wrap(PING))).thenApply(ws -> null);
        lastSend = sent;
        return sent;
    }

    /** Starts a normal close handshake. */
    @Override
    public void close() {
        socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye").exceptionally(e -> null);
    }

    /** Drops the TCP connection without a close handshake. */
    public void abort() {
        socket.abort();
    }

    public boolean isOpen() {
        return !socket.isInputClosed() && !socket.isOutputClosed();
    }

    private static final class Listener implements WebSocket.Listener {
        private final Handler handler;
        private final StringBuilder partial = new StringBuilder();
        private WsConnection connection;

        Listener(Handler handler) {
            this.handler = handler;
        }

        synchronized WsConnection connection(WebSocket socket) {
            if (connection == null) {
                connection = new WsConnection(socket);
            }
            return connection;
        }

        @Override
        public void onOpen(WebSocket webSocket) {
            handler.onOpen(connection(webSocket));
            webSocket.request(1);
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            handler.onActivity();
            partial.append(data);
            if (last) {
                String text = partial.toString();
                partial.setLength(0);
                ServerFrame frame = null;
                try {
                    frame = Frames.decodeServer(text);
                } catch (IllegalArgumentException e) {
                    // reported as unknown below
                }
                if (frame == null) {
                    handler.onUnknown(text);
                } else {
                    handler.onFrame(frame);
                }
            }
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onPing(WebSocket webSocket, ByteBuffer message) {
            handler.onActivity();
            webSocket.request(1);
            return null; // the JDK answers with a pong
        }

        @Override
        public CompletionStage<?> onPong(WebSocket webSocket, ByteBuffer message) {
            handler.onActivity();
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
            handler.onActivity();
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            handler.onClose(statusCode, reason);
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            handler.onError(error);
        }
    }
}
