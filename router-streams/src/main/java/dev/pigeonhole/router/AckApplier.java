package dev.pigeonhole.router;

import dev.pigeonhole.protocol.Json;
import dev.pigeonhole.protocol.ServerFrame;
import dev.pigeonhole.protocol.topics.AckRecord;
import dev.pigeonhole.protocol.topics.InboxEntry;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;

/**
 * Applies a device's cumulative acks and read markers (S5): positions only move forward and never past the head.
 * Each move sends receipts to the senders of the messages it covers, one notice per sender:
 * {@code delivered} with how many registered devices now have each message, and {@code read} the first time any
 * device of the user passed it. Entries in the ack's skipped range were passed over by a newest-first catch-up,
 * not delivered: they get no receipt.
 */
final class AckApplier implements Processor<String, AckRecord, String, Emit> {
    /** Receipts per ack at most: the newest entries of a larger move get one (an ack normally covers one window). */
    static final int MAX_RECEIPTS_PER_ACK = 4096;

    private ProcessorContext<String, Emit> context;
    private Inboxes inboxes;

    @Override
    public void init(ProcessorContext<String, Emit> context) {
        this.context = context;
        this.inboxes = new Inboxes(context, null);
    }

    @Override
    public void process(Record<String, AckRecord> record) {
        String user = record.key();
        AckRecord ack = record.value();
        if (user == null || ack == null || ack.device() == null) {
            return;
        }
        InboxMeta stored = inboxes.meta.get(user);
        if (stored == null) {
            return;
        }
        InboxMeta current = stored;
        if (!current.knows(ack.device())) {
            return; // removed (a late ack must not bring it back); a device is registered by its connect only
        }
        InboxMeta next;
        long from;
        if (ack.read()) {
            from = current.maxRead();
            next = current.read(ack.device(), ack.seq());
            long to = next.maxRead();
            if (to > from) {
                receipts(record, user, next, from, to, ServerFrame.Receipt.Status.READ);
            }
        } else {
            from = current.cursor(ack.device());
            next = current.ack(ack.device(), ack.seq());
            long to = next.cursor(ack.device());
            if (to > from) {
                receipts(record, user, next, from, to, ServerFrame.Receipt.Status.DELIVERED);
            }
        }
        if (next != stored) {
            inboxes.meta.put(user, next);
        }
    }

    /** Receipts for the messages in {@code (after, to]}. */
    private void receipts(Record<String, AckRecord> cause, String user, InboxMeta meta, long after, long to,
                          ServerFrame.Receipt.Status status) {
        long start = Math.max(Math.max(after, to - MAX_RECEIPTS_PER_ACK), meta.oldest() - 1);
        if (start >= to) {
            return;
        }
        int devices = meta.devices().size();
        Map<String, List<ServerFrame.Receipt.Item>> bySender = new LinkedHashMap<>();
        try (KeyValueIterator<String, InboxEntry> it = inboxes.entries.range(InboxKeys.of(user, start + 1), InboxKeys.of(user, to))) {
            while (it.hasNext()) {
                InboxEntry e = it.next().value;
                if (e == null || !e.isMessage() || e.own() || e.from().equals(user) || cause.value().skipped(e.seq())) {
                    continue;
                }
                ServerFrame.Receipt.Item item = status == ServerFrame.Receipt.Status.DELIVERED
                        ? new ServerFrame.Receipt.Item(e.id(), e.to(), meta.ackedBy(e.seq()), devices)
                        : new ServerFrame.Receipt.Item(e.id(), e.to(), 0, 0);
                bySender.computeIfAbsent(e.from(), s -> new ArrayList<>()).add(item);
            }
        }
        String kind = status == ServerFrame.Receipt.Status.DELIVERED ? "delivered" : "read";
        bySender.forEach((sender, items) -> {
            InboxEntry notice = new InboxEntry(0, kind + ":" + user + ":" + meta.epoch() + ":" + (start + 1) + "-" + to,
                    user, null, sender, Json.MAPPER.valueToTree(new InboxEntry.Receipt(status, List.copyOf(items))),
                    cause.timestamp(), false, InboxEntry.Kind.RECEIPT);
            context.forward(cause.withKey(sender).withValue(Emit.notice(notice)));
        });
    }
}
