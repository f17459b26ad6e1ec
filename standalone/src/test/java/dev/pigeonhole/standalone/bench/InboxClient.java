package dev.pigeonhole.standalone.bench;

import java.net.http.HttpClient;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * One {@code /v1/inbox} socket that acknowledges like the SDK: a cumulative {@code ack} once window/4 entries were
 * processed since the last one, or 100 ms after the first unacknowledged entry, whichever comes first. Every entry
 * frame (message, receipt, undelivered) counts: they share the seqs.
 */
final class InboxClient {
    /** Called for every entry frame, before it is acknowledged. */
    interface Entries {
        void onEntry(WireFrame entry, long arrivedNanos);
    }

    /** Entry and anomaly counts over all inbox sockets of a run. */
    static final class Counts {
        final LongAdder messages = new LongAdder();
        final LongAdder own = new LongAdder();
        final LongAdder receipts = new LongAdder();
        final LongAdder receiptItems = new LongAdder();
        final LongAdder undelivered = new LongAdder();
        final LongAdder gaps = new LongAdder();
        final LongAdder errors = new LongAdder();
        final LongAdder acks = new LongAdder();

        String summary() {
            return String.format("inbox frames: %d messages (+%d own copies), %d receipts covering %d messages,"
                            + " %d undelivered, %d gap, %d error; %d acks sent", messages.sum(), own.sum(), receipts.sum(),
                    receiptItems.sum(), undelivered.sum(), gaps.sum(), errors.sum(), acks.sum());
        }
    }

    private static final long ACK_DELAY_MS = 100;

    private final int ackEvery;
    private final ScheduledExecutorService timers;
    private final Entries entries;
    private final Counts counts;
    final CountDownLatch caughtUp = new CountDownLatch(1);
    private final WireSocket socket;
    private long processed;
    private long acked;
    private ScheduledFuture<?> ackTimer;

    private InboxClient(int window, ScheduledExecutorService timers, Entries entries, Counts counts) {
        this.ackEvery = Math.max(1, window / 4);
        this.timers = timers;
        this.entries = entries;
        this.counts = counts;
        this.socket = new WireSocket(this::onFrame);
    }

    /** Opens {@code ws://.../v1/inbox?user=&device=&window=} (dev identity; no {@code after}: a first device gets all). */
    static CompletableFuture<InboxClient> open(HttpClient http, String wsBase, String user, String device, int window,
                                              ScheduledExecutorService timers, Counts counts, Entries entries) {
        InboxClient c = new InboxClient(window, timers, entries, counts);
        return c.socket.connect(http, wsBase + "/v1/inbox?user=" + user + "&device=" + device + "&window=" + window)
                .thenApply(s -> c);
    }

    private void onFrame(WireFrame f, long now) {
        switch (String.valueOf(f.type)) {
            case "message" -> (f.own ? counts.own : counts.messages).increment();
            case "receipt" -> {
                counts.receipts.increment();
                counts.receiptItems.add(f.items);
            }
            case "undelivered" -> counts.undelivered.increment();
            case "caught_up" -> caughtUp.countDown();
            case "gap" -> counts.gaps.increment();
            case "error" -> counts.errors.increment();
            default -> { } // backlog, history
        }
        if (f.isEntry()) {
            entries.onEntry(f, now);
            processed(f.seq);
        }
    }

    private synchronized void processed(long seq) {
        processed = Math.max(processed, seq);
        if (processed - acked >= ackEvery) {
            flush();
        } else if (ackTimer == null && processed > acked) {
            ackTimer = timers.schedule(this::flush, ACK_DELAY_MS, TimeUnit.MILLISECONDS);
        }
    }

    private synchronized void flush() {
        if (ackTimer != null) {
            ackTimer.cancel(false);
            ackTimer = null;
        }
        if (processed > acked) {
            acked = processed;
            counts.acks.increment();
            socket.send("{\"type\":\"ack\",\"seq\":" + processed + "}");
        }
    }

    synchronized void close() {
        if (ackTimer != null) {
            ackTimer.cancel(false);
        }
        socket.close();
    }
}
