package dev.pigeonhole.router;

import dev.pigeonhole.protocol.Json;
import dev.pigeonhole.protocol.ServerFrame;
import dev.pigeonhole.protocol.topics.InboxEntry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;

/**
 * Removes entries from the front of each inbox (S5), never silently: the removed range and its reason stay in the
 * inbox meta (a device behind it gets a {@code gap}), and the senders of messages no device of the recipient had
 * acked get an {@code undelivered} notice in their own inbox.
 *
 * <p>An entry goes when the inbox holds more than {@code maxEntries} ({@link #TRIMMED}), when it is older than
 * {@code maxAge} ({@link #EXPIRED}), or when every registered device acked it and it is older than
 * {@code ackedMaxAge} ({@link #ACKED}). Entries go in seq order only: the inbox stays one contiguous range.
 *
 * <p>Size is enforced as entries are appended ({@link #trimOverflow}); age and acked entries by a periodic walk
 * over the task's inboxes, at most {@code inboxesPerRun} per run, resuming where the last run stopped, so a run
 * costs the same whatever the number of users.
 */
record Retention(Duration maxAge, long maxEntries, Duration ackedMaxAge, Duration checkInterval, int maxPerRun,
                 int inboxesPerRun) {
    static final String EXPIRED = "expired";
    static final String TRIMMED = "trimmed";
    static final String ACKED = "acked";
    /** Messages listed in one undelivered notice. */
    static final int NOTICE_ITEMS = 500;

    /**
     * Trims the next {@code inboxesPerRun} inboxes of the task after {@code resumeAfter} (null: from the first);
     * at most {@code maxPerRun} entries each. Returns where the next run resumes (null: from the first again).
     */
    String run(long now, String resumeAfter, Inboxes inboxes, ProcessorContext<String, Emit> context) {
        List<KeyValue<String, InboxMeta>> batch = new ArrayList<>();
        String last = null;
        // user ids never contain NUL: "user + NUL" is the first key after "user"
        try (KeyValueIterator<String, InboxMeta> it = resumeAfter == null ? inboxes.meta.all()
                : inboxes.meta.range(resumeAfter + '\u0000', null)) {
            while (it.hasNext() && batch.size() < inboxesPerRun) {
                KeyValue<String, InboxMeta> kv = it.next();
                last = kv.key;
                if (kv.value != null && kv.value.oldest() <= kv.value.head()) {
                    batch.add(kv);
                }
            }
            if (!it.hasNext()) {
                last = null;
            }
        }
        for (KeyValue<String, InboxMeta> kv : batch) {
            trim(kv.key, kv.value, now, false, inboxes, context);
        }
        return last;
    }

    /** After an append: removes the oldest entries while the inbox holds more than {@code maxEntries}. */
    void trimOverflow(String user, InboxMeta meta, long now, Inboxes inboxes, ProcessorContext<String, Emit> context) {
        if (meta.head() - meta.oldest() + 1 > maxEntries) {
            trim(user, meta, now, true, inboxes, context);
        }
    }

    private void trim(String user, InboxMeta meta, long now, boolean sizeOnly, Inboxes inboxes,
                      ProcessorContext<String, Emit> context) {
        long minCursor = meta.devices().isEmpty() ? 0 : meta.minCursor();
        long received = meta.maxCursor();
        InboxMeta next = meta;
        Map<String, List<ServerFrame.Undelivered.Item>> undelivered = new LinkedHashMap<>();
        Map<String, String> reasons = new LinkedHashMap<>();
        for (int n = 0; n < maxPerRun && next.oldest() <= next.head(); n++) {
            long seq = next.oldest();
            String key = InboxKeys.of(user, seq);
            InboxEntry entry = inboxes.entries.get(key);
            String reason = reasonToRemove(next, seq, entry, now, minCursor, sizeOnly);
            if (reason == null) {
                break;
            }
            inboxes.entries.delete(key);
            next = next.trimmedTo(seq, reason);
            if (entry != null && entry.isMessage() && !entry.own() && seq > received) {
                undelivered.computeIfAbsent(entry.from(), f -> new ArrayList<>())
                        .add(new ServerFrame.Undelivered.Item(entry.id(), entry.to(), entry.sentAt()));
                reasons.put(entry.from(), reason);
            }
        }
        if (next == meta) {
            return;
        }
        inboxes.meta.put(user, next);
        Record<String, Emit> cause = new Record<>(user, null, now);
        undelivered.forEach((sender, items) -> {
            for (int i = 0; i < items.size(); i += NOTICE_ITEMS) {
                List<ServerFrame.Undelivered.Item> chunk = items.subList(i, Math.min(items.size(), i + NOTICE_ITEMS));
                InboxEntry notice = new InboxEntry(0, "undelivered:" + user + ":" + meta.epoch() + ":" + chunk.get(0).id(),
                        user, null, sender, Json.MAPPER.valueToTree(new InboxEntry.Undelivered(reasons.get(sender), List.copyOf(chunk))),
                        now, false, InboxEntry.Kind.UNDELIVERED);
                context.forward(cause.withKey(sender).withValue(Emit.notice(notice)));
            }
        });
    }

    private String reasonToRemove(InboxMeta meta, long seq, InboxEntry entry, long now, long minCursor, boolean sizeOnly) {
        if (meta.head() - seq + 1 > maxEntries) {
            return TRIMMED;
        }
        if (sizeOnly) {
            return null;
        }
        if (entry == null) {
            return TRIMMED; // missing already (cannot happen while the stores are consistent): move past it
        }
        if (entry.sentAt() < now - maxAge.toMillis()) {
            return EXPIRED;
        }
        if (seq <= minCursor && entry.sentAt() < now - ackedMaxAge.toMillis()) {
            return ACKED;
        }
        return null;
    }
}
