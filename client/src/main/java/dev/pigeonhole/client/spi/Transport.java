package dev.pigeonhole.client.spi;

import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * How the client opens its WebSockets (the inbox and the send socket). The shipped implementation uses the JDK's
 * {@code java.net.http} client; an Android app can plug in OkHttp ({@code ClientOptions.Builder.transport}). The client
 * decodes the frames, keeps its own ping watchdog and reconnects: a transport only moves text and reports what
 * happened.
 */
public interface Transport {

    /**
     * Opens a WebSocket to {@code uri} with these request headers (e.g. {@code Authorization}). Completes with the
     * connection once the handshake is done, or exceptionally: with {@link HandshakeRefusedException} when the server
     * answered the upgrade with an HTTP error (its {@code Retry-After} is honoured). {@code events} may be called
     * from any thread, one call at a time, in the order things happened; {@link Events#onOpen} comes first.
     */
    CompletableFuture<Connection> open(URI uri, Map<String, String> headers, Duration connectTimeout, Events events);

    /** An open WebSocket. Thread-safe; sends go out in the order called. */
    interface Connection {
        void sendText(String text);

        /** A WebSocket ping; any answer shows up as {@link Events#onActivity}. */
        void ping();

        /** Starts a normal close handshake (1000). */
        void close();

        /** Drops the connection without a close handshake. */
        void abort();
    }

    /** What happens on a connection (each method defaults to nothing). */
    interface Events {
        /**
         * The handshake completed; before any other call for this connection. {@code connection} is the one
         * {@link #open} completes with (whichever the client sees first is used).
         */
        default void onOpen(Connection connection) {}

        /** A whole text message (fragments joined). */
        default void onText(String text) {}

        /** Any inbound frame: text, binary, ping or pong. What the client's silence watchdog resets on. */
        default void onActivity() {}

        /** The server closed the connection with this code. */
        default void onClose(int code, String reason) {}

        /** The connection failed. */
        default void onError(Throwable error) {}
    }

    /** The server refused the WebSocket upgrade with an HTTP status. */
    final class HandshakeRefusedException extends java.io.IOException {
        private final int status;
        private final transient Duration retryAfter;

        /** @param retryAfter the response's {@code Retry-After} (seconds), or null */
        public HandshakeRefusedException(int status, Duration retryAfter) {
            super("WebSocket handshake refused: HTTP " + status);
            this.status = status;
            this.retryAfter = retryAfter;
        }

        public int status() {
            return status;
        }

        public Duration retryAfter() {
            return retryAfter;
        }
    }
}
