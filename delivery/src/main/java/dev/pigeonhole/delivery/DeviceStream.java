package dev.pigeonhole.delivery;

import dev.pigeonhole.protocol.CloseCode;
import dev.pigeonhole.protocol.ErrorCode;
import dev.pigeonhole.protocol.Identity;
import dev.pigeonhole.protocol.ServerFrame;
import dev.pigeonhole.records.Entry;
import dev.pigeonhole.records.InboxPage;
import dev.pigeonhole.records.Push;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletionStage;
import java.util.function.LongSupplier;

/**
 * One device's inbox stream over one connection: first a {@code backlog} frame saying what waits, then the backlog
 * after the device's position, then {@code caught_up}, then live entries, in seq order without duplicates (S3, S4),
 * with at most {@code window} unacked entries in flight (S8). Entries retention removed are announced by a
 * {@code gap} frame in their place (S5); with {@code newest=N} an older backlog is skipped and announced instead,
 * and the client fetches skipped ranges on demand ({@code fetch} → {@code history}).
 *
 * <p>Entries come from two sources: pages read from the router's store, and live pushes. A push is only a
 * shortcut: when it is the next entry it is sent at once; otherwise it just raises the known head and the gap is
 * read from the store. So a lost or late push delays an entry but never loses it, and the backlog is paged from
 * the store instead of held in memory: memory per stream is bounded by the window.
 *
 * <p>Thread-safe: every entry point is synchronized; frames are handed to {@link Outbound} in seq order.
 */
final class DeviceStream {

    /** Where frames go: the device's socket. Implementations must not block. */
    interface Outbound {
        /** Writes a frame's JSON text; {@code written} runs once it reached the socket. */
        void send(String frame, Runnable written);

        /** False while the socket's outbound queue is full: the stream waits for {@link #onWritable()}. */
        default boolean writable() {
            return true;
        }

        void close(CloseCode code, String reason);
    }

    /** Reads pages of the user's inbox from the router. */
    interface Store {
        /**
         * @param after    null for "after the device's acked cursor"
         * @param maxBytes entries of at most this many bytes in all, but at least one
         */
        CompletionStage<InboxPage> read(String user, Long after, String device, int limit, long maxBytes);
    }

    /** Durable cumulative acks and read markers (to Kafka). */
    interface Acks {
        /** @param skipped the range this connection skipped (newest-first), or null: no receipts for those */
        void ack(Identity identity, long seq, boolean read, ServerFrame.Range skipped);

        /** Writes what is held back, now (the stream ended). */
        default void flush() {}
    }

    interface Scheduler {
        void schedule(Runnable task, Duration delay);
    }

    /**
     * Settings of one stream. {@code after}, {@code epoch} and {@code newest} as the client gave them (null when
     * absent); {@code pageBytes} bounds the entry bytes one read asks for and the stream holds unsent.
     */
    record Params(Long after, Long epoch, Integer newest, int window, int pageSize, long pageBytes,
                  Duration storeTimeout) {
        Params(Long after, Long epoch, Integer newest, int window, int pageSize, Duration storeTimeout) {
            this(after, epoch, newest, window, pageSize, 1 << 20, storeTimeout);
        }

        Params(Long after, Long epoch, int window, int pageSize, Duration storeTimeout) {
            this(after, epoch, null, window, pageSize, storeTimeout);
        }
    }

    /** What an entry held in memory is counted as: its body plus the fields and frame around it. */
    static long size(Entry e) {
        return e.kind() == Entry.Kind.SUPERSEDED ? 16 : e.body().length + 160L;
    }

    private static final Duration FIRST_RETRY = Duration.ofMillis(100);
    private static final Duration MAX_RETRY = Duration.ofSeconds(2);

    private final Identity identity;
    private final String connection;
    private final long connectedAt;
    private final Params params;
    private final Outbound out;
    private final Store store;
    private final Acks acks;
    private final Scheduler scheduler;
    private final LongSupplier clock;
    private final DeliveryMetrics metrics;
    private final StreamBuffers buffers;

    /**
     * Entries received (paged or pushed) and not yet sent, by seq: at most {@code window} of them, of at most
     * {@code pageBytes} (plus one entry), taken from {@link #buffers}; dropped while the socket is full.
     */
    private final TreeMap<Long, Entry> pending = new TreeMap<>();
    private long pendingBytes;
    /** Bytes taken from {@link #buffers} for the read in flight. */
    private long reserved;
    private boolean awaitingBuffers;
    /** The router applied this socket's connect: live entries reach it, and the device is registered. */
    private boolean confirmed;
    private boolean started;
    /** Counted in {@link DeliveryMetrics#opening()} until its first page is read or it closes. */
    private boolean opening = true;
    private boolean fetching;
    private boolean caughtUp;
    private boolean closed;
    private long epoch;
    private long lastSent;
    private long acked;
    /** The highest ack of this connection handed to {@link Acks}. */
    private long stored;
    /** Entries up to here were skipped or gone, not sent: they are never in flight. */
    private long floor;
    /** The range a newest-first start skipped (null if none): acks passing over it do not mean "delivered". */
    private ServerFrame.Range skipped;
    private long read;
    private boolean fetchInFlight;
    private long knownHead;
    private long failingSince = -1;
    private Duration retryDelay = FIRST_RETRY;

    DeviceStream(Identity identity, Params params, Outbound out, Store store, Acks acks, Scheduler scheduler,
                 LongSupplier clock, DeliveryMetrics metrics, StreamBuffers buffers) {
        this.identity = identity;
        this.connection = UUID.randomUUID().toString();
        this.connectedAt = clock.getAsLong();
        this.params = params;
        this.out = out;
        this.store = store;
        this.acks = acks;
        this.scheduler = scheduler;
        this.clock = clock;
        this.metrics = metrics;
        this.buffers = buffers;
    }

    Identity identity() {
        return identity;
    }

    /** Identifies this socket in session announcements and displacement orders. */
    String connection() {
        return connection;
    }

    /** When the socket opened: of two sockets of one device the later one stays (S7). */
    long connectedAt() {
        return connectedAt;
    }

    Long requestedAfter() {
        return params.after();
    }

    /**
     * The connect is announced: waits for the router to confirm it (a {@link Push.Head} naming this socket), then
     * reads the first page — only then is the device registered, and only then do live entries reach this instance.
     * A stream the router does not confirm within {@code store-timeout} is closed (4001): the client reconnects.
     */
    synchronized void start() {
        scheduler.schedule(this::confirmTimeout, params.storeTimeout());
    }

    private synchronized void confirmTimeout() {
        if (!confirmed && !closed) {
            close(CloseCode.STORE_UNAVAILABLE, "the inbox router did not take the connection");
        }
    }

    /** A live notification for this stream's user. */
    synchronized void onPush(Push push) {
        if (closed) {
            return;
        }
        if (push instanceof Push.Head h) {
            if (!checkEpoch(h.epoch())) {
                return;
            }
            knownHead = Math.max(knownHead, h.head());
            if (!confirmed && connection.equals(h.connection())) {
                confirmed = true;
                if (h.startsAt() != null) {
                    // nothing waits: the (empty) first page is the push itself, no read of the store
                    if (takePage(new InboxPage(h.epoch(), h.head(), h.startsAt(), h.head() + 1, null, List.of()), null)) {
                        pump();
                    }
                } else {
                    readPage(params.after(), firstPage());
                }
                return;
            }
        } else if (push instanceof Push.NewEntry n) {
            if (!checkEpoch(n.epoch())) {
                return;
            }
            knownHead = Math.max(knownHead, n.head());
            Entry entry = n.entry();
            long bytes = size(entry);
            if (confirmed && (!started || entry.seq() > lastSent) && inFlight() + pending.size() < params.window()
                    && !pending.containsKey(entry.seq()) && pendingBytes + bytes <= params.pageBytes()
                    && out.writable() && buffers.tryTake(bytes)) {
                pending.put(entry.seq(), entry);
                pendingBytes += bytes;
            }
        }
        pump();
    }

    /** A cumulative ack from the client. The durable write happens outside the stream's lock. */
    void onAck(long seq) {
        if (applyAck(seq)) {
            acks.ack(identity, seq, false, skippedRange());
        }
    }

    /** A read marker from the client: like an ack, it must not pass what was sent. */
    void onRead(long seq) {
        if (applyRead(seq)) {
            acks.ack(identity, seq, true, skippedRange());
        }
    }

    private synchronized ServerFrame.Range skippedRange() {
        return skipped;
    }

    private synchronized boolean applyRead(long seq) {
        if (closed || !started || seq <= read) {
            return false;
        }
        if (seq > lastSent) {
            send(new ServerFrame.Error(ErrorCode.INVALID_ACK,
                    "read " + seq + " is beyond the last delivered seq " + lastSent));
            return false;
        }
        read = seq;
        return true;
    }

    /**
     * Stored entries {@code from..to} outside the live sequence (backfill after a newest-first catch-up), answered
     * with one {@code history} frame of at most a page; one fetch at a time.
     */
    synchronized void onFetch(long from, long to) {
        if (closed) {
            return;
        }
        if (fetchInFlight) {
            send(new ServerFrame.Error(ErrorCode.RATE_LIMITED, "one fetch at a time: wait for its history frame",
                    100L));
            return;
        }
        fetchInFlight = true;
        int limit = (int) Math.min(params.pageSize(), to - from + 1);
        store.read(identity.user(), from - 1, identity.device(), limit, params.pageBytes())
                .whenComplete((page, error) -> fetched(from, to, limit, page, error));
    }

    private synchronized void fetched(long from, long to, int limit, InboxPage page, Throwable error) {
        fetchInFlight = false;
        if (closed) {
            return;
        }
        if (error != null) {
            send(new ServerFrame.Error(ErrorCode.UNAVAILABLE, "inbox store unavailable; fetch again", 1000L));
            return;
        }
        List<Entry> entries = new ArrayList<>();
        for (Entry e : page.entries()) {
            if (e.seq() >= from && e.seq() <= to) {
                entries.add(e);
            }
        }
        // A page ends at its limit, its byte bound or the head: the range it covers ends at its last entry unless
        // it reached the head.
        long last = page.entries().isEmpty() ? page.after() : page.entries().get(page.entries().size() - 1).seq();
        long covered = last >= page.head() || page.entries().isEmpty() ? Math.min(to, page.head()) : last;
        out.send(EntryFrames.history(from, Math.max(from - 1, Math.min(to, covered)), page.oldest(), entries), () -> { });
    }

    /**
     * True if the ack must be stored: it moved this connection's position, or it is at or below where the
     * connection started (an ack the client could not send before its last connection dropped: the router still
     * needs it for the device's cursor and receipts; it only ever moves cursors forward).
     */
    private synchronized boolean applyAck(long seq) {
        if (closed) {
            return false;
        }
        if (!started) {
            if (params.after() != null && seq <= params.after()) {
                return store(seq);
            }
            send(new ServerFrame.Error(ErrorCode.INVALID_ACK, "ack " + seq + " before any entry was delivered"));
            return false;
        }
        if (seq > lastSent) {
            send(new ServerFrame.Error(ErrorCode.INVALID_ACK,
                    "ack " + seq + " is beyond the last delivered seq " + lastSent));
            return false;
        }
        if (seq <= acked) {
            return store(seq);
        }
        acked = seq;
        pump();
        return store(seq);
    }

    private boolean store(long seq) {
        if (seq <= stored) {
            return false;
        }
        stored = seq;
        return true;
    }

    private long inFlight() {
        return lastSent - Math.max(acked, floor);
    }

    /** The socket drained its outbound queue: continue sending. */
    synchronized void onWritable() {
        pump();
    }

    void close(CloseCode code, String reason) {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            endOpening(true);
            if (code == CloseCode.DISPLACED || code == CloseCode.DEVICE_REMOVED) {
                metrics.displaced();
            }
            dropPending();
            out.close(code, reason);
        }
        acks.flush();
    }

    /** The connection is gone; stop without writing anything to it (its last acks are stored). */
    void closed() {
        synchronized (this) {
            closed = true;
            endOpening(false);
            dropPending();
        }
        acks.flush();
    }

    /** {@code measured}: how long it took says how fast this instance opens sockets (not so when the client left). */
    private void endOpening(boolean measured) {
        if (opening) {
            opening = false;
            metrics.openingEnded(measured ? clock.getAsLong() - connectedAt : -1);
        }
    }

    synchronized boolean isOpen() {
        return !closed;
    }

    synchronized long lastSent() {
        return lastSent;
    }

    private void pump() {
        if (!started || closed) {
            return;
        }
        while (inFlight() < params.window() && out.writable()) {
            Map.Entry<Long, Entry> next = pending.firstEntry();
            while (next != null && next.getKey() <= lastSent) {
                unhold(pending.pollFirstEntry().getValue());
                next = pending.firstEntry();
            }
            if (next == null || next.getKey() != lastSent + 1) {
                break;
            }
            unhold(pending.pollFirstEntry().getValue());
            if (next.getValue().kind() == Entry.Kind.SUPERSEDED) {
                skipSuperseded(next.getKey());
                continue;
            }
            deliver(next.getValue());
        }
        if (!out.writable()) {
            // A client that does not read must not pin fetched entries: they are read again once it drains.
            dropPending();
            return;
        }
        if (inFlight() >= params.window()) {
            dropPending(); // nor one that does not ack: entries waiting for the window are read again after the ack
        }
        int room = (int) (params.window() - inFlight());
        boolean nextInHand = pending.containsKey(lastSent + 1);
        if (!fetching && !awaitingBuffers && !nextInHand && lastSent < knownHead && room > 0) {
            readPage(lastSent, Math.min(params.pageSize(), room));
        } else if (!caughtUp && !fetching && lastSent >= knownHead) {
            caughtUp = true;
            send(new ServerFrame.CaughtUp(lastSent, epoch));
        }
    }

    /**
     * A run of superseded shadow entries from {@code from} (already taken from {@link #pending}), as far as the
     * pending entries go: one {@code gap} frame, never in flight (docs/shadow.md).
     */
    private void skipSuperseded(long from) {
        long to = from;
        Map.Entry<Long, Entry> next = pending.firstEntry();
        while (next != null && next.getKey() == to + 1 && next.getValue().kind() == Entry.Kind.SUPERSEDED) {
            unhold(pending.pollFirstEntry().getValue());
            to = next.getKey();
            next = pending.firstEntry();
        }
        send(new ServerFrame.Gap(from, to, "superseded"));
        lastSent = to;
        floor = Math.max(floor, to);
    }

    private void deliver(Entry entry) {
        lastSent = entry.seq();
        boolean live = caughtUp;
        out.send(EntryFrames.encode(entry), () -> metrics.delivered(live, entry.sentAt()));
    }

    private void send(ServerFrame frame) {
        out.send(EntryFrames.encode(frame), () -> { });
    }

    /**
     * Reads the next page: entries of at most what this stream may still hold, once the instance has room for them
     * (else it waits for other streams to hand entries on).
     */
    private void readPage(Long after, int limit) {
        long want = Math.max(1, params.pageBytes() - pendingBytes);
        if (!buffers.tryTake(want)) {
            awaitingBuffers = true;
            buffers.await(want, this::buffersFreed);
            return;
        }
        fetching = true;
        reserved = want;
        store.read(identity.user(), after, identity.device(), limit, want).whenComplete(this::onPage);
    }

    private synchronized void buffersFreed() {
        awaitingBuffers = false;
        retryFetch();
    }

    private void unhold(Entry e) {
        long bytes = size(e);
        pendingBytes -= bytes;
        buffers.release(bytes);
    }

    private void dropPending() {
        pending.clear();
        buffers.release(pendingBytes);
        pendingBytes = 0;
    }

    private synchronized void onPage(InboxPage page, Throwable error) {
        fetching = false;
        boolean next = !closed && takePage(page, error);
        buffers.release(reserved); // what the page's entries did not use
        reserved = 0;
        if (next) {
            pump();
        }
    }

    /** Holds the page's new entries (their bytes come out of the read's reservation first); true: pump next. */
    private boolean takePage(InboxPage page, Throwable error) {
        if (error != null) {
            retry(error);
            return false;
        }
        if (!checkEpoch(page.epoch())) {
            return false;
        }
        if (!started) {
            if (page.after() > page.head() && !sameKnownEpoch(page.epoch())) {
                // A cursor past the end of this inbox belongs to another history: resuming there would skip
                // entries silently. Only a client naming this very epoch may be ahead (a store catching up).
                close(CloseCode.RESYNC, "cursor " + page.after() + " is beyond the inbox head " + page.head());
                return false;
            }
            started = true;
            endOpening(true);
            lastSent = page.after();
            acked = page.after();
            read = page.after();
            if (!begin(page)) {
                return true; // newest-first: this page's entries are older than where the stream starts
            }
        } else if (page.gap() != null && page.gap().to() > lastSent) {
            skipGap(page.gap());
        }
        knownHead = Math.max(knownHead, page.head());
        boolean progress = page.gap() != null;
        for (Entry e : page.entries()) {
            if (e.seq() > lastSent) {
                if (pending.putIfAbsent(e.seq(), e) == null) {
                    long bytes = size(e);
                    long reservedFor = Math.min(bytes, reserved);
                    reserved -= reservedFor;
                    buffers.take(bytes - reservedFor);
                    pendingBytes += bytes;
                }
                progress = true;
            }
        }
        if (!progress && lastSent < knownHead) {
            retry(new IllegalStateException("the store returned no entry after " + lastSent + " below head " + knownHead));
            return false;
        }
        failingSince = -1;
        retryDelay = FIRST_RETRY;
        return true;
    }

    /** The first read: no more entries than the window lets out before the client acks. */
    private int firstPage() {
        return Math.min(params.pageSize(), params.window());
    }

    /**
     * Sends the {@code backlog} frame, then the gap before the first stored entry if there is one. With
     * {@code newest=N} and more than N entries waiting, starts after all but the newest N instead.
     *
     * @return false when the page's entries are skipped
     */
    private boolean begin(InboxPage page) {
        long base = page.gap() != null ? Math.max(page.after(), page.gap().to()) : page.after();
        long count = Math.max(0, page.head() - base);
        Long oldest = count > 0 ? base + 1 : null;
        Long oldestSentAt = !page.entries().isEmpty() && page.entries().get(0).seq() == base + 1
                ? page.entries().get(0).sentAt() : null;
        Integer newest = params.newest();
        ServerFrame.Range skip = newest != null && count > newest
                ? new ServerFrame.Range(base + 1, page.head() - newest) : null;
        send(new ServerFrame.Backlog(count, oldest, oldestSentAt, page.head(), page.epoch(), skip));
        if (page.gap() != null) {
            skipGap(page.gap());
        }
        knownHead = Math.max(knownHead, page.head());
        if (skip != null) {
            skipped = skip;
            lastSent = skip.to();
            floor = skip.to();
            return false;
        }
        return true;
    }

    /** Entries retention removed: announced, never sent; the stream continues after them. */
    private void skipGap(InboxPage.Gap gap) {
        send(new ServerFrame.Gap(Math.max(gap.from(), lastSent + 1), gap.to(), gap.reason()));
        metrics.gap();
        lastSent = gap.to();
        floor = gap.to();
    }

    private boolean sameKnownEpoch(long pageEpoch) {
        return pageEpoch != 0 && params.epoch() != null && params.epoch() == pageEpoch;
    }

    private void retry(Throwable error) {
        long now = clock.getAsLong();
        if (failingSince < 0) {
            failingSince = now;
        }
        if (now - failingSince >= params.storeTimeout().toMillis()) {
            close(CloseCode.STORE_UNAVAILABLE, "inbox store unavailable");
            return;
        }
        Duration delay = retryDelay;
        retryDelay = retryDelay.multipliedBy(2).compareTo(MAX_RETRY) > 0 ? MAX_RETRY : retryDelay.multipliedBy(2);
        scheduler.schedule(this::retryFetch, delay);
    }

    private synchronized void retryFetch() {
        if (closed || fetching || awaitingBuffers) {
            return;
        }
        if (started) {
            pump();
        } else {
            readPage(params.after(), firstPage());
        }
    }

    /**
     * Epoch 0 means "no inbox yet". The first non-zero epoch seen is adopted unless the client named another one;
     * any later change means the inbox was rebuilt: the client must resync (S6).
     */
    private boolean checkEpoch(long seen) {
        if (seen == 0 || seen == epoch) {
            return true;
        }
        Long expected = params.epoch() != null && params.epoch() != 0 ? params.epoch() : (epoch != 0 ? epoch : null);
        if (expected != null && expected != seen) {
            close(CloseCode.RESYNC, "inbox epoch is now " + seen);
            return false;
        }
        epoch = seen;
        return true;
    }
}
