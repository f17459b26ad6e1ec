package dev.pigeonhole.standalone.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A minimal client WebSocket on {@code java.net.http}: text frames in (reassembled, parsed by {@link WireFrame},
 * handed over with the time they arrived), text frames out through a queue (the JDK allows one send at a time).
 * Handler calls of one socket come one at a time, in order.
 */
final class WireSocket implements WebSocket.Listener {
    interface Handler {
        void onFrame(WireFrame frame, long arrivedNanos);
    }

    /** Sockets the server closed (or that failed) while the benchmark still used them, over all instances. */
    static final AtomicInteger UNEXPECTED_CLOSES = new AtomicInteger();
    static volatile String lastClose = "";

    private final Handler handler;
    private final ConcurrentLinkedQueue<String> out = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean sending = new AtomicBoolean();
    private final StringBuilder partial = new StringBuilder();
    private volatile WebSocket socket;
    private volatile boolean closing;

    WireSocket(Handler handler) {
        this.handler = handler;
    }

    static CompletableFuture<WireSocket> open(HttpClient http, String uri, Handler handler) {
        return new WireSocket(handler).connect(http, uri);
    }

    /** Connects; frames may be sent from the handler as soon as it is called. */
    CompletableFuture<WireSocket> connect(HttpClient http, String uri) {
        return http.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(10)).buildAsync(URI.create(uri), this)
                .thenApply(ws -> this);
    }

    @Override
    public void onOpen(WebSocket webSocket) {
        socket = webSocket;
        webSocket.request(1);
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
        if (!last) {
            partial.append(data);
        } else {
            long now = System.nanoTime();
            String text;
            if (partial.length() == 0) {
                text = data.toString();
            } else {
                text = partial.append(data).toString();
                partial.setLength(0);
            }
            handler.onFrame(WireFrame.parse(text), now);
        }
        webSocket.request(1);
        return null;
    }

    /** Queues a text frame. */
    void send(String text) {
        out.add(text);
        pump();
    }

    private void pump() {
        while (!out.isEmpty() && sending.compareAndSet(false, true)) {
            String next = out.poll();
            if (next == null) {
                sending.set(false);
                continue;
            }
            CompletableFuture<WebSocket> f = socket.sendText(next, true);
            if (!f.isDone()) {
                f.whenComplete((ws, e) -> {
                    sending.set(false);
                    pump();
                });
                return;
            }
            sending.set(false);
        }
    }

    /** Starts a normal close; the connection is dropped after a second if the server does not answer. */
    void close() {
        closing = true;
        WebSocket ws = socket;
        if (ws != null) {
            ws.sendClose(WebSocket.NORMAL_CLOSURE, "done").orTimeout(1, java.util.concurrent.TimeUnit.SECONDS)
                    .whenComplete((w, e) -> ws.abort());
        }
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
        if (!closing) {
            UNEXPECTED_CLOSES.incrementAndGet();
            lastClose = statusCode + " " + reason;
        }
        return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
        if (!closing) {
            UNEXPECTED_CLOSES.incrementAndGet();
            lastClose = error.toString();
        }
    }
}
