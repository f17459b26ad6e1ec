package dev.pigeonhole.router;

import dev.pigeonhole.protocol.ServerFrame;
import dev.pigeonhole.records.Entry;
import dev.pigeonhole.records.InboxOp;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.state.KeyValueIterator;

/**
 * Applies a device's cumulative acks and read markers (S5): positions only move forward and never past the head.
 * Each move sends receipts to the senders of the messages it covers, one notice per sender: {@code delivered} with
 * how many registered devices now have each message, and {@code read} the first time any device of the user passed
 * it. Entries in the ack's skipped range were passed over by a newest-first catch-up, not delivered: no receipt.
 */
final class Acks {
    /** Receipts per ack at most: the newest entries of a larger move get one (an ack normally covers one window). */
    static final int MAX_RECEIPTS_PER_ACK = 4096;

    private final Inboxes inboxes;

    Acks(Inboxes inboxes) {
        this.inboxes = inboxes;
    }

    void apply(String user, InboxOp.Ack ack, long timestamp, Outputs out) {
        InboxMeta current = inboxes.meta.get(user);
        if (current == null || !current.knows(ack.device())) {
            return; // removed (a late ack must not bring it back); a device is registered by its connect only
        }
        InboxMeta next;
        if (ack.read()) {
            long from = current.maxRead();
            next = current.read(ack.device(), ack.seq());
            if (next.maxRead() > from) {
                receipts(user, ack, next, from, next.maxRead(), ServerFrame.Receipt.Status.READ, timestamp, out);
            }
        } else {
            long from = current.cursor(ack.device());
            next = current.ack(ack.device(), ack.seq());
            if (next.cursor(ack.device()) > from) {
                receipts(user, ack, next, from, next.cursor(ack.device()), ServerFrame.Receipt.Status.DELIVERED,
                        timestamp, out);
            }
        }
        if (next != current) {
            inboxes.meta.put(user, next);
        }
    }

    /** Receipts for the messages in {@code (after, to]}. */
    private void receipts(String user, InboxOp.Ack ack, InboxMeta meta, long after, long to,
                          ServerFrame.Receipt.Status status, long timestamp, Outputs out) {
        long start = Math.max(Math.max(after, to - MAX_RECEIPTS_PER_ACK), meta.oldest() - 1);
        if (start >= to) {
            return;
        }
        int devices = meta.devices().size();
        boolean delivered = status == ServerFrame.Receipt.Status.DELIVERED;
        Map<String, List<ServerFrame.Receipt.Item>> bySender = new LinkedHashMap<>();
        try (KeyValueIterator<byte[], byte[]> it = inboxes.range(user, start + 1, to)) {
            while (it.hasNext()) {
                Entry e = Entry.decode(it.next().value);
                if (!e.isMessage() || e.own() || e.from().equals(user) || ack.skipped(e.seq())) {
                    continue;
                }
                bySender.computeIfAbsent(e.from(), s -> new ArrayList<>()).add(delivered
                        ? new ServerFrame.Receipt.Item(e.id(), e.to(), meta.ackedBy(e.seq()), devices)
                        : new ServerFrame.Receipt.Item(e.id(), e.to(), 0, 0));
            }
        }
        String kind = delivered ? "delivered" : "read";
        // Deterministic, and unique per receipt (a device's cursor, and the read marker, only move forward): the
        // sender's inbox drops a relayed second copy by it.
        String id = kind + ":" + user + ":" + (delivered ? ack.device() + ":" : "") + meta.epoch() + ":" + (start + 1)
                + "-" + to;
        bySender.forEach((sender, items) -> out.notice(sender, Entry.notice(Entry.Kind.RECEIPT, id, user, timestamp,
                new Entry.Receipt(status, List.copyOf(items))), timestamp));
    }
}
