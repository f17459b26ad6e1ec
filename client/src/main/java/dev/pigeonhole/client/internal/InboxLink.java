package dev.pigeonhole.client.internal;

import dev.pigeonhole.client.ClientClosedException;
import dev.pigeonhole.client.ConnectionState;
import dev.pigeonhole.client.IncomingMessage;
import dev.pigeonhole.client.Listener;
import dev.pigeonhole.client.ShadowDocument;
import dev.pigeonhole.client.spi.Cursor;
import dev.pigeonhole.client.spi.InboxRow;
import dev.pigeonhole.client.spi.InboxStore;
import dev.pigeonhole.client.spi.Transport;
import dev.pigeonhole.protocol.CloseCode;
import dev.pigeonhole.protocol.ErrorCode;
import dev.pigeonhole.protocol.Frames;
import dev.pigeonhole.protocol.ServerFrame;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

/**
 * The inbox socket: always up while the client runs. Every entry (and gap) received is written to the local store
 * ({@link InboxStore}) in one transaction with the position, which the next connection resumes after (with the
 * epoch it belongs to): the server need not send again what is stored. The listener is fed from the store, in
 * store order, on the callback thread: an entry is marked delivered only after the listener returned, and that mark
 * is what is acknowledged to the server (in batches) and where a restart resumes handing entries over — at least
 * once, with the same seq. Also carries the shadow requests ({@link ShadowRequests}) and their answers.
 */
public final class InboxLink extends Link {
    private static final System.Logger LOG = System.getLogger(InboxLink.class.getName());
    private static final Duration ACK_DELAY = Duration.ofMillis(100);
    private static final int PAGE = 256;
    /** The gap reason for shadow entries replaced by a newer one of the same shadow (docs/shadow.md). */
    static final String SUPERSEDED = "superseded";

    private final URI base;
    private final String identityQuery;
    private final String token;
    private final int window;
    private final boolean history;
    private final int newest;
    private CompletableFuture<ServerFrame.History> fetching;
    private final InboxStore store;
    private final Executor callbacks;
    private final Listener listener;
    private final ShadowRequests shadows;
    /** Highest seq received on the loop; the next connection resumes after it once it is stored. */
    private volatile long received;
    /** Highest seq stored with the position (what a connection resumes after). */
    private long stored;
    /** Received, not yet written to the store (written in one transaction, soon after on the loop). */
    private final List<InboxRow> unstored = new ArrayList<>();
    private boolean storeScheduled;
    private long epoch;
    /** Highest seq (of the current epoch) the listener finished, and the highest acked to the server. */
    private long processed;
    private long acked;
    private Timers.Cancellable ackTimer;
    private volatile ConnectionState state = ConnectionState.OFFLINE;
    /** Downloads small attachments before a message is handed over; null for none. */
    private volatile AutoDownload autoDownload;
    /** Callback thread only: the last row handed to the listener that returned (the DELIVERED marker). */
    private long delivered;
    /**
     * After a resync (4102): connect with {@code after=0} until a position is stored, as protocol.md asks. Without
     * {@code after} the server resumes from the device's acked cursor of the old history, or starts a device it does
     * not know at the newest entry: the rebuilt history could be skipped. In memory only: a restart before the first
     * entry of the new history connects without {@code after}.
     */
    private boolean fromStart;
    /** Set by {@link #stopDelivery}: the listener gets nothing more; the rest stays in the store. */
    private volatile boolean stopping;

    public InboxLink(Transport transport, Executor loop, Timers timers, Duration connectTimeout, Duration pingInterval,
                     Backoff backoff, URI base, String user, String device, String token, int window, boolean history, int newest,
                     InboxStore store, Executor callbacks, Listener listener, ShadowRequests shadows) {
        super(transport, loop, timers, connectTimeout, pingInterval, backoff);
        this.base = base;
        this.token = token;
        this.identityQuery = identityQuery(user, device, token);
        this.window = window;
        this.history = history;
        this.newest = newest;
        this.store = store;
        this.callbacks = callbacks;
        this.listener = listener;
        this.shadows = shadows;
        Cursor start = store.load();
        this.received = start.seq();
        this.stored = start.seq();
        this.epoch = start.epoch();
        this.delivered = store.marker(InboxStore.DELIVERED);
        // Ack what the listener finished in the last run on the first connection (the ack may have been lost with
        // the process): the server allows an ack at or below the position a connection starts after.
        this.processed = 0;
        this.acked = 0;
        if (delivered > 0) {
            List<InboxRow> last = store.after(delivered - 1, 1);
            if (!last.isEmpty() && last.get(0).id() == delivered && last.get(0).epoch() == epoch) {
                this.processed = Math.min(last.get(0).seq(), start.seq());
            }
        }
    }

    /** Set once, before the first connection. */
    public void autoDownload(AutoDownload autoDownload) {
        this.autoDownload = autoDownload;
    }

    public ConnectionState state() {
        return state;
    }

    /** The position the client has reached (entries received; stored before the server is told). */
    public long position() {
        return received;
    }

    /** Hands what an earlier run stored and did not deliver to the listener, then connects. */
    public void start() {
        callbacks.execute(this::deliver);
        connect();
    }

    /** Any thread: the listener is handed nothing more after the entry it is in (the rest stays stored). */
    public void stopDelivery() {
        stopping = true;
    }

    public void close() {
        if (fetching != null) {
            fetching.completeExceptionally(new ClientClosedException("client closed"));
            fetching = null;
        }
        store();
        flushAcks();
        stop();
        shadows.close();
        report(ConnectionState.CLOSED);
    }

    @Override
    URI uri() {
        // Without a position the server decides: the device's acked cursor, or where a new device starts.
        String after = stored > 0 ? "&after=" + stored + (epoch != 0 ? "&epoch=" + epoch : "")
                : fromStart ? "&after=0" + (epoch != 0 ? "&epoch=" + epoch : "")
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
            if (entry.seq() <= received) {
                return; // already received (e.g. resent after a reconnect)
            }
            received = entry.seq();
            unstored.add(InboxRows.of(entry, epoch));
            scheduleStore();
            return;
        }
        if (frame instanceof ServerFrame.Gap g) {
            if (g.to() <= received) {
                return;
            }
            received = g.to();
            unstored.add(InboxRows.of(g, epoch));
            scheduleStore();
            return;
        }
        // Anything else comes after the entries before it: those are stored and queued for the listener first.
        store();
        if (!isUp()) {
            return; // storing failed and dropped the connection
        }
        if (frame instanceof ServerFrame.ShadowAccepted a) {
            shadows.answer(ShadowRequests.Answer.of(a));
        } else if (frame instanceof ServerFrame.ShadowRejected r) {
            shadows.answer(ShadowRequests.Answer.of(r));
        } else if (frame instanceof ServerFrame.Backlog b) {
            // The first frame of a connection: entries that follow belong to this epoch (a resumed cursor of another
            // epoch would have been refused with 4102).
            adoptEpoch(b.epoch());
            dev.pigeonhole.client.Backlog backlog = new dev.pigeonhole.client.Backlog(b.count(), b.oldest(),
                    b.oldestSentAt(), b.head(), b.epoch(), b.skipped() == null ? null : b.skipped().from(),
                    b.skipped() == null ? null : b.skipped().to());
            callbacks.execute(() -> listener.onBacklog(backlog));
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
            adoptEpoch(c.epoch());
            callbacks.execute(() -> listener.onCaughtUp(c.seq()));
        }
    }

    private void adoptEpoch(long serverEpoch) {
        if (serverEpoch != 0 && serverEpoch != epoch) {
            epoch = serverEpoch;
            store.save(new Cursor(stored, epoch));
        }
    }

    private void scheduleStore() {
        if (!storeScheduled) {
            storeScheduled = true;
            // Frames already queued on the loop arrive first: a burst is stored in one transaction.
            timers.schedule(() -> {
                storeScheduled = false;
                store();
            }, Duration.ZERO);
        }
    }

    /**
     * Writes what was received (entries and the position) in one transaction and queues it for the listener. If the
     * store fails, the entries are forgotten, the position stays where it was stored, and the connection is dropped:
     * the next one receives them again.
     */
    private void store() {
        if (unstored.isEmpty()) {
            return;
        }
        List<InboxRow> rows = List.copyOf(unstored);
        unstored.clear();
        try {
            store.received(rows, new Cursor(received, epoch));
            stored = received;
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot store received inbox entries; will receive them again", e);
            received = stored;
            if (isUp()) {
                drop("local store failed");
            }
            return;
        }
        callbacks.execute(this::deliver);
    }

    /**
     * Callback thread: hands every stored entry the listener has not finished to it, in store order, and marks each
     * delivered after the listener returned (or threw: logged, and the client goes on). The mark is durable before
     * the entry is acknowledged; a process that dies inside the listener gets the entry again on its next start.
     */
    private void deliver() {
        while (!stopping) {
            List<InboxRow> rows = store.after(delivered, PAGE);
            if (rows.isEmpty()) {
                return;
            }
            for (InboxRow row : rows) {
                if (stopping) {
                    return;
                }
                try {
                    offer(row);
                } catch (RuntimeException e) {
                    LOG.log(System.Logger.Level.WARNING, "listener failed on inbox entry " + row.seq(), e);
                }
                store.mark(InboxStore.DELIVERED, row.id());
                delivered = row.id();
                timers.schedule(() -> {
                    if (row.epoch() == epoch) {
                        processed(row.seq());
                    }
                }, Duration.ZERO);
            }
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
        store(); // what this connection received before it went down
        if (code == CloseCode.RESYNC.code()) {
            // The inbox was rebuilt without its history: start over in the new epoch. Entries stored from the old one
            // stay in the local store (and are still handed to the listener), but are not acknowledged.
            received = 0;
            stored = 0;
            processed = 0;
            acked = 0;
            epoch = 0;
            fromStart = true;
            store.save(Cursor.START);
            callbacks.execute(listener::onResync);
        } else if (!CloseCode.reconnectAllowed(code)) {
            shadows.fail(new IllegalStateException("the server refused the inbox connection (" + code + "): " + reason));
            report(ConnectionState.OFFLINE);
            callbacks.execute(() -> listener.onRefused(code, reason));
            return;
        }
        report(ConnectionState.OFFLINE);
        scheduleReconnect();
    }

    private void offer(InboxRow row) {
        ServerFrame frame = Frames.decodeServer(row.json());
        if (frame instanceof ServerFrame.Gap g) {
            if (!SUPERSEDED.equals(g.reason())) {
                // superseded shadow entries were replaced by a newer one of the same shadow: nothing is lost
                listener.onGap(g.from(), g.to(), g.reason());
            }
        } else if (frame instanceof ServerFrame.Entry entry) {
            offer(entry);
        }
    }

    private void offer(ServerFrame.Entry entry) {
        if (entry instanceof ServerFrame.Message m) {
            List<dev.pigeonhole.client.Attachment> attachments = m.attachments() == null ? List.of() : m.attachments().stream()
                    .map(a -> new dev.pigeonhole.client.Attachment(a.ref(), a.size(), a.type(), a.name(), a.preview()))
                    .toList();
            AutoDownload auto = autoDownload;
            if (auto != null && !attachments.isEmpty()) {
                attachments = auto.fetch(attachments, listener); // before the listener sees the message
            }
            listener.onMessage(new IncomingMessage(m.seq(), m.id(), m.from(), m.fromDevice(), m.to(),
                    dev.pigeonhole.protocol.Json.write(m.body()), m.sentAt(), m.own(), attachments));
        } else if (entry instanceof ServerFrame.Receipt r) {
            listener.onReceipt(new dev.pigeonhole.client.Receipt(r.seq(), r.by(),
                    r.status() == ServerFrame.Receipt.Status.READ ? dev.pigeonhole.client.Receipt.Status.READ
                            : dev.pigeonhole.client.Receipt.Status.DELIVERED,
                    r.messages().stream().map(i -> new dev.pigeonhole.client.Receipt.Item(i.id(), i.to(), i.devices(), i.of()))
                            .toList(), r.at()));
        } else if (entry instanceof ServerFrame.Undelivered u) {
            listener.onUndelivered(new dev.pigeonhole.client.Undelivered(u.seq(), u.recipient(), u.reason(),
                    u.messages().stream().map(i -> new dev.pigeonhole.client.Undelivered.Item(i.id(), i.to(), i.sentAt()))
                            .toList(), u.at()));
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
        if (seq > 0 && seq <= stored && isUp()) {
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
