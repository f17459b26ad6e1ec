package dev.pigeonhole.client.internal;

import dev.pigeonhole.client.ConnectionState;
import dev.pigeonhole.client.IncomingMessage;
import dev.pigeonhole.client.Listener;
import dev.pigeonhole.client.ShadowDocument;
import dev.pigeonhole.protocol.CloseCode;
import dev.pigeonhole.protocol.ErrorCode;
import dev.pigeonhole.protocol.ServerFrame;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

/**
 * The inbox socket: always up while the client runs. Hands entries to the listener in seq order at most once —
 * the position is stored before the listener sees an entry — and acknowledges them after the listener returned,
 * in batches. Resumes after the last entry handed over, with the epoch it belongs to. Also carries the shadow
 * requests ({@link ShadowRequests}) and their answers.
 */
public final class InboxLink extends Link {
    private static final Duration ACK_DELAY = Duration.ofMillis(100);
    /** The gap reason for shadow entries replaced by a newer one of the same shadow (docs/shadow.md). */
    static final String SUPERSEDED = "superseded";

    private final URI base;
    private final String identityQuery;
    private final String token;
    private final int window;
    private final boolean history;
    private final int newest;
    private CompletableFuture<ServerFrame.History> fetching;
    private final CursorStore cursors;
    private final Executor callbacks;
    private final Listener listener;
    private final ShadowRequests shadows;
    /** Highest seq handed to the callback thread; the next connection resumes after it. */
    private long handedOver;
    private long epoch;
    /** Highest seq the listener finished, and the highest acked to the server. */
    private long processed;
    private long acked;
    private Timers.Cancellable ackTimer;
    private volatile ConnectionState state = ConnectionState.OFFLINE;

    public InboxLink(HttpClient http, Executor loop, Timers timers, Duration connectTimeout, Duration pingInterval,
                     Backoff backoff, URI base, String user, String device, String token, int window, boolean history, int newest,
                     CursorStore cursors, Executor callbacks, Listener listener, ShadowRequests shadows) {
        super(http, loop, timers, connectTimeout, pingInterval, backoff);
        this.base = base;
        this.token = token;
        this.identityQuery = identityQuery(user, device, token);
        this.window = window;
        this.history = history;
        this.newest = newest;
        this.cursors = cursors;
        this.callbacks = callbacks;
        this.listener = listener;
        this.shadows = shadows;
        Cursor start = cursors.load();
        this.handedOver = start.seq();
        this.epoch = start.epoch();
        this.processed = start.seq();
        this.acked = start.seq();
    }

    public ConnectionState state() {
        return state;
    }

    /** The position the client has reached (entries handed to the listener). */
    public long position() {
        return handedOver;
    }

    public void start() {
        connect();
    }

    public void close() {
        flushAcks();
        stop();
        shadows.close();
        report(ConnectionState.CLOSED);
    }

    @Override
    URI uri() {
        // Without a position the server decides: the device's acked cursor, or where a new device starts.
        String after = handedOver > 0 ? "&after=" + handedOver + (epoch != 0 ? "&epoch=" + epoch : "")
                : history && epoch == 0 ? "&after=0" : "";
        String query = identityQuery + "window=" + window + after + (newest > 0 ? "&newest=" + newest : "");
        return URI.create(base + "/v1/inbox?" + query);
    }

    @Override
    String bearer() {
        return token;
    }

    @Override
    void onConnecting() {
        report(ConnectionState.CONNECTING);
    }

    @Override
    void onUp() {
        report(ConnectionState.ONLINE);
        flushAcks();
        shadows.up(text -> {
            if (!isUp()) {
                return false;
            }
            sendText(text);
            return true;
        });
    }

    @Override
    void onUnknown(String text) {
        ShadowRequests.Answer a = ShadowRequests.Answer.ofUnknown(text);
        if (a != null) {
            shadows.answer(a);
        }
    }

    @Override
    void onFrame(ServerFrame frame) {
        backoff.reset(); // the server answers: this connection works
        if (frame instanceof ServerFrame.Entry entry) {
            if (entry.seq() <= handedOver) {
                return; // already handed over (e.g. resent after a reconnect)
            }
            handedOver = entry.seq();
            Cursor position = new Cursor(entry.seq(), epoch);
            callbacks.execute(() -> {
                cursors.save(position);
                try {
                    offer(entry);
                } finally {
                    timers.schedule(() -> processed(entry.seq()), Duration.ZERO);
                }
            });
        } else if (frame instanceof ServerFrame.Gap g) {
            if (g.to() <= handedOver) {
                return;
            }
            handedOver = g.to();
            Cursor position = new Cursor(g.to(), epoch);
            callbacks.execute(() -> {
                cursors.save(position);
                try {
                    if (!SUPERSEDED.equals(g.reason())) {
                        // superseded shadow entries were replaced by a newer one of the same shadow: nothing is lost
                        listener.onGap(g.from(), g.to(), g.reason());
                    }
                } finally {
                    timers.schedule(() -> processed(g.to()), Duration.ZERO);
                }
            });
        } else if (frame instanceof ServerFrame.ShadowAccepted a) {
            shadows.answer(ShadowRequests.Answer.of(a));
        } else if (frame instanceof ServerFrame.ShadowRejected r) {
            shadows.answer(ShadowRequests.Answer.of(r));
        } else if (frame instanceof ServerFrame.Backlog b) {
            callbacks.execute(() -> listener.onBacklog(b));
        } else if (frame instanceof ServerFrame.Error e && fetching != null
                && (e.code() == ErrorCode.UNAVAILABLE || e.code() == ErrorCode.RATE_LIMITED)) {
            // the only client frame these answer on the inbox socket is a fetch
            CompletableFuture<ServerFrame.History> f = fetching;
            fetching = null;
            f.completeExceptionally(new IllegalStateException("fetch refused: " + e.code().wire() + ": " + e.message()));
        } else if (frame instanceof ServerFrame.History h) {
            CompletableFuture<ServerFrame.History> f = fetching;
            fetching = null;
            if (f != null) {
                f.complete(h);
            }
        } else if (frame instanceof ServerFrame.CaughtUp c) {
            if (c.epoch() != 0 && c.epoch() != epoch) {
                epoch = c.epoch();
                Cursor position = new Cursor(handedOver, epoch);
                callbacks.execute(() -> cursors.save(position));
            }
            callbacks.execute(() -> listener.onCaughtUp(c.seq()));
        }
    }

    /**
     * Reads stored entries {@code from..to} outside the live sequence (one page at most: the answer's {@code to}
     * says how far it got). Fails when the inbox is not connected or the connection drops meanwhile; one at a time.
     */
    public CompletionStage<ServerFrame.History> fetch(long from, long to) {
        if (!isUp()) {
            return CompletableFuture.failedFuture(new IllegalStateException("the inbox is not connected"));
        }
        if (fetching != null) {
            return CompletableFuture.failedFuture(new IllegalStateException("a fetch is in progress"));
        }
        fetching = new CompletableFuture<>();
        CompletableFuture<ServerFrame.History> f = fetching;
        sendText("{\"type\":\"fetch\",\"from\":" + from + ",\"to\":" + to + "}");
        return f;
    }

    @Override
    void onDown(int code, String reason) {
        cancelAckTimer();
        shadows.down();
        if (fetching != null) {
            fetching.completeExceptionally(new IllegalStateException("the inbox connection closed (" + code + ")"));
            fetching = null;
        }
        if (code == CloseCode.RESYNC.code()) {
            // The inbox was rebuilt without its history: start over in the new epoch.
            handedOver = 0;
            processed = 0;
            acked = 0;
            epoch = 0;
            callbacks.execute(() -> {
                cursors.save(Cursor.START);
                listener.onResync();
            });
        } else if (!CloseCode.reconnectAllowed(code)) {
            shadows.fail(new IllegalStateException("the server refused the inbox connection (" + code + "): " + reason));
            report(ConnectionState.OFFLINE);
            callbacks.execute(() -> listener.onRefused(code, reason));
            return;
        }
        report(ConnectionState.OFFLINE);
        scheduleReconnect();
    }

    private void offer(ServerFrame.Entry entry) {
        if (entry instanceof ServerFrame.Message m) {
            listener.onMessage(new IncomingMessage(m.seq(), m.id(), m.from(), m.fromDevice(), m.to(), m.body(),
                    m.sentAt(), m.own()));
        } else if (entry instanceof ServerFrame.Receipt r) {
            listener.onReceipt(r);
        } else if (entry instanceof ServerFrame.Undelivered u) {
            listener.onUndelivered(u);
        } else if (entry instanceof ServerFrame.ShadowDelta d) {
            listener.onShadowDelta(new dev.pigeonhole.client.ShadowDelta(d.seq(), d.thing(), nameOf(d.name()),
                    d.version(), jsonOrEmpty(d.state()), jsonOrEmpty(d.metadata()), d.clientToken(), d.at()));
        } else if (entry instanceof ServerFrame.ShadowDocuments d) {
            listener.onShadowDocuments(new dev.pigeonhole.client.ShadowDocuments(d.seq(), d.thing(), nameOf(d.name()),
                    d.by(), document(d.previous()), document(d.current()), d.at()));
        }
    }

    private static String nameOf(String name) {
        return name == null ? "" : name;
    }

    private static String jsonOrEmpty(com.fasterxml.jackson.databind.JsonNode node) {
        return node == null || node.isNull() || node.isMissingNode() ? "{}" : dev.pigeonhole.protocol.Json.write(node);
    }

    private static ShadowDocument document(com.fasterxml.jackson.databind.JsonNode node) {
        return node == null || !node.isObject() ? null : ShadowDocument.parse(dev.pigeonhole.protocol.Json.write(node));
    }

    /** Sends a read marker: the user has seen everything up to {@code seq}. Dropped while offline (it is advisory). */
    public void markRead(long seq) {
        if (seq > 0 && seq <= handedOver && isUp()) {
            sendText("{\"type\":\"read\",\"seq\":" + seq + "}");
        }
    }

    private void processed(long seq) {
        processed = Math.max(processed, seq);
        if (processed - acked >= Math.max(1, window / 4)) {
            flushAcks();
        } else if (ackTimer == null && processed > acked) {
            ackTimer = timers.schedule(() -> {
                ackTimer = null;
                flushAcks();
            }, ACK_DELAY);
        }
    }

    private void flushAcks() {
        cancelAckTimer();
        if (processed > acked && isUp()) {
            acked = processed;
            sendText("{\"type\":\"ack\",\"seq\":" + processed + "}");
        }
    }

    private void cancelAckTimer() {
        if (ackTimer != null) {
            ackTimer.cancel();
            ackTimer = null;
        }
    }

    private void report(ConnectionState next) {
        if (state != next) {
            state = next;
            callbacks.execute(() -> listener.onConnectionState(next));
        }
    }

    /**
     * The identity as query parameters: the dev identity without a token; with one, a claim the server checks
     * against the token (a client configured with someone else's token is refused instead of acting as them).
     */
    static String identityQuery(String user, String device, String token) {
        return "user=" + URLEncoder.encode(user, StandardCharsets.UTF_8)
                + "&device=" + URLEncoder.encode(device, StandardCharsets.UTF_8) + "&";
    }
}
