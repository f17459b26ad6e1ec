package dev.pigeonhole.delivery;

import dev.pigeonhole.protocol.CloseCode;
import dev.pigeonhole.protocol.ErrorCode;
import dev.pigeonhole.protocol.Identity;
import dev.pigeonhole.protocol.ServerFrame;
import dev.pigeonhole.protocol.topics.InboxEntry;
import dev.pigeonhole.protocol.topics.InboxPage;
import dev.pigeonhole.protocol.topics.PushRecord;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletionStage;
import java.util.function.LongSupplier;

/**
 * One device's inbox stream over one connection: the backlog after the device's position, then {@code caught_up},
 * then live entries, in seq order without duplicates (S3, S4), with at most {@code window} unacked entries in
 * flight (S8).
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
        /** Writes a frame; {@code written} runs once it reached the socket. */
        void send(ServerFrame frame, Runnable written);

        /** False while the socket's outbound queue is full: the stream waits for {@link #onWritable()}. */
        default boolean writable() {
            return true;
        }

        void close(CloseCode code, String reason);
    }

    /** Reads pages of the user's inbox from the router. */
    interface Store {
        /** @param after null for "after the device's acked cursor" */
        CompletionStage<InboxPage> read(String user, Long after, String device, int limit);
    }

    /** Durable cumulative acks (to Kafka). */
    interface Acks {
        void ack(Identity identity, long seq);
    }

    interface Scheduler {
        void schedule(Runnable task, Duration delay);
    }

    /** Settings of one stream. {@code after} and {@code epoch} as the client gave them (null when absent). */
    record Params(Long after, Long epoch, int window, int pageSize, Duration storeTimeout) {}

    private static final Duration FIRST_RETRY = Duration.ofMillis(100);
    private static final Duration MAX_RETRY = Duration.ofSeconds(2);

    private final Identity identity;
    private final Params params;
    private final Outbound out;
    private final Store store;
    private final Acks acks;
    private final Scheduler scheduler;
    private final LongSupplier clock;
    private final DeliveryMetrics metrics;

    /** Entries received (paged or pushed) and not yet sent, by seq; at most {@code window} of them. */
    private final TreeMap<Long, InboxEntry> pending = new TreeMap<>();
    private boolean started;
    private boolean fetching;
    private boolean caughtUp;
    private boolean closed;
    private long epoch;
    private long lastSent;
    private long acked;
    private long knownHead;
    private long failingSince = -1;
    private Duration retryDelay = FIRST_RETRY;

    DeviceStream(Identity identity, Params params, Outbound out, Store store, Acks acks, Scheduler scheduler,
                 LongSupplier clock, DeliveryMetrics metrics) {
        this.identity = identity;
        this.params = params;
        this.out = out;
        this.store = store;
        this.acks = acks;
        this.scheduler = scheduler;
        this.clock = clock;
        this.metrics = metrics;
    }

    Identity identity() {
        return identity;
    }

    /** Reads the first page: after the client's {@code after}, or after the device's acked cursor. */
    synchronized void start() {
        fetch(params.after(), params.pageSize());
    }

    /** A live notification for this stream's user. */
    synchronized void onPush(PushRecord push) {
        if (closed || !checkEpoch(push.epoch())) {
            return;
        }
        knownHead = Math.max(knownHead, push.head());
        InboxEntry entry = push.entry();
        if (entry != null && (!started || entry.seq() > lastSent) && pending.size() < params.window()) {
            pending.put(entry.seq(), entry);
        }
        pump();
    }

    /** A cumulative ack from the client. The durable write happens outside the stream's lock. */
    void onAck(long seq) {
        if (applyAck(seq)) {
            acks.ack(identity, seq);
        }
    }

    /** True if the ack moved the position and must be stored. */
    private synchronized boolean applyAck(long seq) {
        if (closed) {
            return false;
        }
        if (!started) {
            if (params.after() != null && seq <= params.after()) {
                return false; // at or below where this connection starts: nothing new
            }
            out.send(new ServerFrame.Error(ErrorCode.INVALID_ACK, "ack " + seq + " before any entry was delivered"),
                    () -> { });
            return false;
        }
        if (seq > lastSent) {
            out.send(new ServerFrame.Error(ErrorCode.INVALID_ACK,
                    "ack " + seq + " is beyond the last delivered seq " + lastSent), () -> { });
            return false;
        }
        if (seq <= acked) {
            return false;
        }
        acked = seq;
        pump();
        return true;
    }

    /** The socket drained its outbound queue: continue sending. */
    synchronized void onWritable() {
        pump();
    }

    synchronized void close(CloseCode code, String reason) {
        if (!closed) {
            closed = true;
            pending.clear();
            out.close(code, reason);
        }
    }

    /** The connection is gone; stop without writing anything. */
    synchronized void closed() {
        closed = true;
        pending.clear();
    }

    synchronized long lastSent() {
        return lastSent;
    }

    private void pump() {
        if (!started || closed) {
            return;
        }
        while (lastSent - acked < params.window() && out.writable()) {
            Map.Entry<Long, InboxEntry> next = pending.firstEntry();
            while (next != null && next.getKey() <= lastSent) {
                pending.pollFirstEntry();
                next = pending.firstEntry();
            }
            if (next == null || next.getKey() != lastSent + 1) {
                break;
            }
            pending.pollFirstEntry();
            deliver(next.getValue());
        }
        int room = (int) (params.window() - (lastSent - acked));
        boolean nextInHand = pending.containsKey(lastSent + 1);
        if (!fetching && !nextInHand && lastSent < knownHead && room > 0 && out.writable()) {
            fetch(lastSent, Math.min(params.pageSize(), room));
        } else if (!caughtUp && !fetching && lastSent >= knownHead) {
            caughtUp = true;
            out.send(new ServerFrame.CaughtUp(lastSent, epoch), () -> { });
        }
    }

    private void deliver(InboxEntry entry) {
        lastSent = entry.seq();
        boolean live = caughtUp;
        out.send(entry.toFrame(), () -> metrics.delivered(live, entry.sentAt()));
    }

    private void fetch(Long after, int limit) {
        fetching = true;
        store.read(identity.user(), after, identity.device(), limit).whenComplete(this::onPage);
    }

    private synchronized void onPage(InboxPage page, Throwable error) {
        fetching = false;
        if (closed) {
            return;
        }
        if (error != null) {
            retry(error);
            return;
        }
        if (!checkEpoch(page.epoch())) {
            return;
        }
        if (!started) {
            if (page.after() > page.head() && !sameKnownEpoch(page.epoch())) {
                // A cursor past the end of this inbox belongs to another history: resuming there would skip
                // entries silently. Only a client naming this very epoch may be ahead (a store catching up).
                close(CloseCode.RESYNC, "cursor " + page.after() + " is beyond the inbox head " + page.head());
                return;
            }
            started = true;
            lastSent = page.after();
            acked = page.after();
        }
        knownHead = Math.max(knownHead, page.head());
        boolean progress = false;
        for (InboxEntry e : page.entries()) {
            if (e.seq() > lastSent) {
                pending.put(e.seq(), e);
                progress = true;
            }
        }
        if (!progress && lastSent < knownHead) {
            retry(new IllegalStateException("the store returned no entry after " + lastSent + " below head " + knownHead));
            return;
        }
        failingSince = -1;
        retryDelay = FIRST_RETRY;
        pump();
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
        if (closed || fetching) {
            return;
        }
        if (started) {
            pump();
        } else {
            fetch(params.after(), params.pageSize());
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
