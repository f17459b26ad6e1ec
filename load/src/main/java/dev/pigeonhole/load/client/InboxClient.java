package dev.pigeonhole.load.client;

import dev.pigeonhole.load.Auth;
import dev.pigeonhole.protocol.CloseCode;
import io.vertx.core.http.WebSocket;
import java.net.URI;
import java.util.List;

/**
 * One device's {@code /v1/inbox}, behaving like the SDK: resumes with {@code after=} the last seq it processed (and
 * the epoch that seq belongs to), keeps the server's {@code window}, acks cumulatively once window/4 entries are
 * processed or 100 ms after the first unacked one, and after a close reconnects with full-jitter exponential backoff
 * — except for 4100–4199 (protocol.md: do not reconnect), where it gives up; on 4102 (resync) it drops its position
 * and reconnects from 0. After a drop it tries the next delivery URL (the SDK knows one URL; the load tool spreads
 * clients over several and fails over).
 *
 * <p>Threading: every method may be called from any thread; state is guarded by this object's monitor. Listener
 * calls come from the Vert.x event loop of the connection, one at a time per client.
 */
public final class InboxClient {
    public enum State { IDLE, CONNECTING, STREAMING, LIVE, WAITING, STOPPED, GAVE_UP }

    /** What the scenarios observe; all defaults do nothing. */
    public interface Listener {
        /** A {@code message} entry (own copies included: check {@code frame.own}). */
        default void onMessage(InboxClient client, Frame frame, long arrivedNanos) { }

        /** {@code caught_up} on the current connection; {@code sinceConnectNanos}: since this connection's attempt began. */
        default void onCaughtUp(InboxClient client, long sinceConnectNanos) { }

        /** An open connection ended without this client asking (the server closed it, or the TCP connection died). */
        default void onDrop(InboxClient client, int code, String reason) { }

        /** A close code that forbids reconnecting: the client stops. */
        default void onGiveUp(InboxClient client, int code, String reason) { }

        /** The server refused the upgrade with 503 and {@code Retry-After} (shedding a storm); the client waits it. */
        default void onShed(InboxClient client, long retryAfterMs) { }

        /** A connection attempt failed before the WebSocket opened (refused, reset, timed out, rejected upgrade). */
        default void onConnectFailed(InboxClient client, Throwable cause) { }
    }

    private final Wire wire;
    private final List<URI> deliveries;
    private final String user;
    private final String device;
    private final Auth.Credentials credentials;
    private final int window;
    private final Backoff backoff;
    private final Listener listener;

    private int urlIndex;
    private State state = State.IDLE;
    private WebSocket socket;
    private long attemptStarted;
    private long position;
    private long epoch;
    private long processed;
    private long acked;
    private long ackTimer = -1;
    private long reconnectTimer = -1;

    /** Counters over the client's life. */
    private long connects;
    private long drops;
    private long seqRepeats;
    private long seqJumps;
    private long errors;
    private int lastCloseCode;

    public InboxClient(Wire wire, List<URI> deliveries, int firstUrl, String user, String device, Auth auth, int window,
                       Backoff backoff, Listener listener) {
        this.wire = wire;
        this.deliveries = deliveries;
        this.urlIndex = Math.floorMod(firstUrl, deliveries.size());
        this.user = user;
        this.device = device;
        this.credentials = auth.credentials(user, device);
        this.window = window;
        this.backoff = backoff;
        this.listener = listener;
    }

    public String user() {
        return user;
    }

    public synchronized State state() {
        return state;
    }

    /** Connected and past {@code caught_up}. */
    public synchronized boolean live() {
        return state == State.LIVE;
    }

    public synchronized long position() {
        return position;
    }

    public synchronized long connects() {
        return connects;
    }

    public synchronized long drops() {
        return drops;
    }

    /** Entries with a seq at or below one already processed (the server resent what the client had). */
    public synchronized long seqRepeats() {
        return seqRepeats;
    }

    /** Entries whose seq skipped ahead with no {@code gap} frame covering the hole. */
    public synchronized long seqJumps() {
        return seqJumps;
    }

    public synchronized long errors() {
        return errors;
    }

    public synchronized int lastCloseCode() {
        return lastCloseCode;
    }

    /** Connects (the first time, or again after {@link #disconnect}). */
    public synchronized void start() {
        if (state == State.IDLE || state == State.STOPPED) {
            connect();
        }
    }

    /** Closes with 1000 as a user going offline would; the position is kept for the next {@link #start}. */
    public synchronized void disconnect() {
        flushAcks();
        cancelTimers();
        state = State.STOPPED;
        WebSocket ws = socket;
        socket = null;
        if (ws != null) {
            ws.close((short) 1000, "offline");
        }
    }

    private void connect() {
        state = State.CONNECTING;
        attemptStarted = System.nanoTime();
        String query = "/v1/inbox?" + credentials.query() + (credentials.query().isEmpty() ? "" : "&") + "window=" + window
                + "&after=" + position + (epoch != 0 ? "&epoch=" + epoch : "");
        URI base = deliveries.get(urlIndex);
        wire.connect(base, query, credentials.bearer()).onComplete(result -> {
            synchronized (InboxClient.this) {
                if (state != State.CONNECTING) { // disconnected meanwhile
                    if (result.succeeded()) {
                        result.result().close((short) 1000, "offline");
                    }
                    return;
                }
                if (result.failed()) {
                    lastCloseCode = -1;
                    long retryAfterMs = retryAfterMs(result.cause());
                    if (retryAfterMs > 0) {
                        listener.onShed(this, retryAfterMs);
                    } else {
                        listener.onConnectFailed(this, result.cause());
                    }
                    retry(retryAfterMs);
                    return;
                }
                WebSocket ws = result.result();
                socket = ws;
                connects++;
                state = State.STREAMING;
                ws.textMessageHandler(text -> onText(ws, text));
                ws.exceptionHandler(e -> { }); // a close follows
                wire.whenClosed(ws, () -> onClose(ws));
            }
        });
    }

    private void onText(WebSocket ws, String text) {
        long now = System.nanoTime();
        Frame f = Frame.parse(text);
        boolean caughtUp = false;
        long sinceConnect = 0;
        synchronized (this) {
            if (ws != socket) {
                return;
            }
            if (f.isEntry()) {
                if (f.seq <= position) {
                    seqRepeats++;
                    return;
                }
                if (f.seq > position + 1) {
                    seqJumps++;
                }
                position = f.seq;
            } else {
                switch (String.valueOf(f.type)) {
                    case "gap" -> position = Math.max(position, f.to);
                    case "caught_up" -> {
                        epoch = f.epoch;
                        state = State.LIVE;
                        backoff.reset(); // a connection that got this far works
                        caughtUp = true;
                        sinceConnect = now - attemptStarted;
                    }
                    case "backlog" -> epoch = f.epoch != 0 ? f.epoch : epoch;
                    case "error" -> errors++;
                    default -> { } // history, unknown frames: ignored
                }
            }
        }
        if (caughtUp) {
            listener.onCaughtUp(this, sinceConnect);
        }
        if ("message".equals(f.type)) {
            listener.onMessage(this, f, now);
        }
        if (f.isEntry() || "gap".equals(f.type)) {
            processed(f.isEntry() ? f.seq : f.to);
        }
    }

    private synchronized void processed(long seq) {
        processed = Math.max(processed, seq);
        if (processed - acked >= Math.max(1, window / 4)) {
            flushAcks();
        } else if (ackTimer < 0 && processed > acked) {
            ackTimer = wire.vertx().setTimer(100, id -> {
                synchronized (InboxClient.this) {
                    ackTimer = -1;
                    flushAcks();
                }
            });
        }
    }

    private void flushAcks() {
        if (ackTimer >= 0) {
            wire.vertx().cancelTimer(ackTimer);
            ackTimer = -1;
        }
        if (processed > acked && socket != null && (state == State.STREAMING || state == State.LIVE)) {
            acked = processed;
            socket.writeTextMessage("{\"type\":\"ack\",\"seq\":" + processed + "}");
        }
    }

    private void onClose(WebSocket ws) {
        int code;
        String reason;
        boolean gaveUp;
        synchronized (this) {
            if (ws != socket) {
                return; // a connection this client closed itself
            }
            socket = null;
            Short status = ws.closeStatusCode();
            code = status == null ? 1006 : status;
            reason = String.valueOf(ws.closeReason());
            lastCloseCode = code;
            drops++;
            if (ackTimer >= 0) {
                wire.vertx().cancelTimer(ackTimer);
                ackTimer = -1;
            }
            // acks not sent yet go out on the next connection (an ack at or below `after` is allowed and stored)
            if (code == CloseCode.RESYNC.code()) {
                position = 0;
                epoch = 0;
                processed = 0;
                acked = 0;
            } else if (!CloseCode.reconnectAllowed(code)) {
                state = State.GAVE_UP;
            }
            gaveUp = state == State.GAVE_UP;
            if (!gaveUp) {
                retry(0);
            }
        }
        listener.onDrop(this, code, reason);
        if (gaveUp) {
            listener.onGiveUp(this, code, reason);
        }
    }

    /** The {@code Retry-After} of a refused upgrade in ms (0: none), as the SDK reads it. */
    private static long retryAfterMs(Throwable error) {
        if (error instanceof io.vertx.core.http.UpgradeRejectedException r && r.getHeaders() != null) {
            String v = r.getHeaders().get("Retry-After");
            if (v != null && v.strip().matches("\\d{1,9}")) {
                return Math.min(300, Long.parseLong(v.strip())) * 1000;
            }
        }
        return 0;
    }

    /** Next URL, after a full-jitter backoff delay (at least {@code minDelayMs}). */
    private void retry(long minDelayMs) {
        state = State.WAITING;
        urlIndex = (urlIndex + 1) % deliveries.size();
        long delay = Math.max(minDelayMs, backoff.nextMs());
        reconnectTimer = wire.vertx().setTimer(Math.max(1, delay), id -> {
            synchronized (InboxClient.this) {
                reconnectTimer = -1;
                if (state == State.WAITING) {
                    connect();
                }
            }
        });
    }

    private void cancelTimers() {
        if (ackTimer >= 0) {
            wire.vertx().cancelTimer(ackTimer);
            ackTimer = -1;
        }
        if (reconnectTimer >= 0) {
            wire.vertx().cancelTimer(reconnectTimer);
            reconnectTimer = -1;
        }
    }

    @Override
    public String toString() {
        return user + "/" + device;
    }
}
