package dev.pigeonhole.load.client;

import dev.pigeonhole.load.Auth;
import dev.pigeonhole.protocol.CloseCode;
import io.vertx.core.http.WebSocket;
import java.net.URI;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * One device's {@code /v1/send} socket, keeping the protocol's ordering rules: every send stays queued until it is
 * answered; a retryable refusal ({@code rate_limited}, {@code unavailable}, {@code internal}) makes the client resend
 * every refused message, in the original order, after {@code retryAfterMs}; after a close it reconnects with
 * full-jitter backoff and resends everything unanswered in order (same ids: the server deduplicates). Close codes
 * 4100–4199 stop it.
 *
 * <p>Threading: any thread may call {@link #send}; the listener is called from the connection's event loop.
 */
public final class SendClient {
    public interface Listener {
        /** The first {@code accepted} for {@code id}. */
        void onAccepted(String id, long arrivedNanos);

        /** A refusal that will not change ({@code retryable: false}), or the client gave up; {@code id} is final. */
        void onRefused(String id, String code);
    }

    private final Wire wire;
    private final URI gateway;
    private final Auth.Credentials credentials;
    private final Backoff backoff;
    private final Listener listener;
    /** Unanswered sends by id, in the order they were first sent. */
    private final LinkedHashMap<String, String> pending = new LinkedHashMap<>();
    private final Set<String> refused = new HashSet<>();
    private WebSocket socket;
    private boolean connecting;
    private boolean closed;
    private boolean resendScheduled;
    private long retries;
    private long reconnects;

    public SendClient(Wire wire, URI gateway, String user, String device, Auth auth, Backoff backoff, Listener listener) {
        this.wire = wire;
        this.gateway = gateway;
        this.credentials = auth.credentials(user, device);
        this.backoff = backoff;
        this.listener = listener;
    }

    public synchronized void start() {
        if (socket == null && !connecting && !closed) {
            connect();
        }
    }

    /** Queues {@code {"type":"send","id":…,"to":…,"body":…}}; {@code bodyJson} is written as is. */
    public synchronized void send(String id, String to, String bodyJson) {
        String frame = "{\"type\":\"send\",\"id\":\"" + id + "\",\"to\":\"" + to + "\",\"body\":" + bodyJson + "}";
        pending.put(id, frame);
        if (socket != null && refused.isEmpty()) {
            socket.writeTextMessage(frame);
        } else if (socket != null) {
            refused.add(id); // the connection refuses everything behind a refused send: hold it for the resend
        }
    }

    public synchronized int unanswered() {
        return pending.size();
    }

    /** Sends resent after a retryable refusal, and reconnects. */
    public synchronized long retries() {
        return retries;
    }

    public synchronized long reconnects() {
        return reconnects;
    }

    public synchronized void close() {
        closed = true;
        if (socket != null) {
            socket.close((short) 1000, "done");
            socket = null;
        }
    }

    private void connect() {
        connecting = true;
        String query = "/v1/send" + (credentials.query().isEmpty() ? "" : "?" + credentials.query());
        wire.connect(gateway, query, credentials.bearer()).onComplete(result -> {
            synchronized (SendClient.this) {
                connecting = false;
                if (closed) {
                    if (result.succeeded()) {
                        result.result().close((short) 1000, "done");
                    }
                    return;
                }
                if (result.failed()) {
                    reconnectLater();
                    return;
                }
                WebSocket ws = result.result();
                socket = ws;
                ws.textMessageHandler(text -> onText(ws, text));
                ws.exceptionHandler(e -> { });
                wire.whenClosed(ws, () -> onClose(ws));
                refused.clear();
                pending.values().forEach(ws::writeTextMessage); // everything unanswered, in order
            }
        });
    }

    private void onText(WebSocket ws, String text) {
        long now = System.nanoTime();
        Frame f = Frame.parse(text);
        if (f.id == null) {
            return; // an error frame without an id: nothing of ours
        }
        boolean accepted = "accepted".equals(f.type);
        synchronized (this) {
            if (ws != socket || !pending.containsKey(f.id)) {
                return; // a repeated answer, or one for a connection given up
            }
            if (!accepted && f.retryable) {
                refused.add(f.id);
                if (!resendScheduled) {
                    resendScheduled = true;
                    wire.vertx().setTimer(Math.max(20, f.retryAfterMs), id -> resendRefused(ws));
                }
                return;
            }
            pending.remove(f.id);
            refused.remove(f.id);
        }
        if (accepted) {
            backoff.reset();
            listener.onAccepted(f.id, now);
        } else {
            listener.onRefused(f.id, f.code);
        }
    }

    private synchronized void resendRefused(WebSocket ws) {
        resendScheduled = false;
        if (ws != socket) {
            return; // the reconnect resends everything anyway
        }
        for (Map.Entry<String, String> e : pending.entrySet()) {
            if (refused.remove(e.getKey())) {
                retries++;
                ws.writeTextMessage(e.getValue());
            }
        }
    }

    private void onClose(WebSocket ws) {
        Set<String> gaveUp = new HashSet<>();
        String reason;
        synchronized (this) {
            if (ws != socket) {
                return;
            }
            socket = null;
            Short status = ws.closeStatusCode();
            int code = status == null ? 1006 : status;
            reason = "closed " + code;
            if (closed) {
                return;
            }
            if (CloseCode.reconnectAllowed(code)) {
                reconnectLater();
            } else {
                closed = true;
                gaveUp.addAll(pending.keySet());
                pending.clear();
            }
        }
        gaveUp.forEach(id -> listener.onRefused(id, reason));
    }

    private void reconnectLater() {
        reconnects++;
        connecting = true;
        wire.vertx().setTimer(Math.max(1, backoff.nextMs()), id -> {
            synchronized (SendClient.this) {
                connecting = false;
                if (!closed && socket == null) {
                    connect();
                }
            }
        });
    }
}
