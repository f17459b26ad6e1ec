package dev.pigeonhole.router;

import dev.pigeonhole.protocol.ServerFrame;
import dev.pigeonhole.records.Entry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Removes entries from the front of an inbox (S5), never silently: the removed range and its reason stay in the
 * inbox meta (a device behind it gets a {@code gap}), and the senders of messages no device of the recipient had
 * acked get an {@code undelivered} notice in their own inbox.
 *
 * <p>An entry goes when the inbox holds more than {@code maxEntries} ({@link #TRIMMED}), when it is older than
 * {@code maxAge} ({@link #EXPIRED}), or when every registered device acked it and it is older than
 * {@code ackedMaxAge} ({@link #ACKED}). Entries go in seq order only: the inbox stays one contiguous range.
 *
 * <p>Size is enforced as entries are appended ({@link #trimOverflow}); age and acked entries by {@link Housekeeping}.
 */
record Retention(Duration maxAge, long maxEntries, Duration ackedMaxAge, Duration checkInterval, int maxPerRun,
                 int inboxesPerRun) {
    static final String EXPIRED = "expired";
    static final String TRIMMED = "trimmed";
    static final String ACKED = "acked";
    /** Messages listed in one undelivered notice. */
    static final int NOTICE_ITEMS = 500;

    /** After an append: removes the oldest entries while the inbox holds more than {@code maxEntries}. */
    InboxMeta trimOverflow(String user, InboxMeta meta, long now, Inboxes inboxes, Outputs out) {
        if (meta.head() - meta.oldest() + 1 <= maxEntries) {
            return meta;
        }
        return trim(user, meta, now, true, maxPerRun, inboxes, out);
    }

    /**
     * Removes at most {@code limit} entries from the front that the age, acked or size rule removes; returns the
     * new meta (the caller stores it).
     */
    InboxMeta trim(String user, InboxMeta meta, long now, boolean sizeOnly, int limit, Inboxes inboxes, Outputs out) {
        long minCursor = meta.devices().isEmpty() ? 0 : meta.minCursor();
        long received = meta.maxCursor();
        InboxMeta next = meta;
        Map<String, List<ServerFrame.Undelivered.Item>> undelivered = new LinkedHashMap<>();
        Map<String, String> reasons = new LinkedHashMap<>();
        for (int n = 0; n < limit && next.oldest() <= next.head(); n++) {
            long seq = next.oldest();
            Entry entry = sizeOnly && next.head() - seq + 1 > maxEntries && seq <= received ? null : inboxes.entry(user, seq);
            String reason = reasonToRemove(next, seq, entry, now, minCursor, sizeOnly);
            if (reason == null) {
                break;
            }
            inboxes.entries.delete(InboxKeys.of(user, seq));
            next = next.trimmedTo(seq, reason);
            if (entry != null && entry.isMessage() && !entry.own() && seq > received) {
                undelivered.computeIfAbsent(entry.from(), f -> new ArrayList<>())
                        .add(new ServerFrame.Undelivered.Item(entry.id(), entry.to(), entry.sentAt()));
                reasons.put(entry.from(), reason);
            }
        }
        undelivered.forEach((sender, items) -> {
            for (int i = 0; i < items.size(); i += NOTICE_ITEMS) {
                List<ServerFrame.Undelivered.Item> chunk = items.subList(i, Math.min(items.size(), i + NOTICE_ITEMS));
                out.notice(sender, Entry.notice(Entry.Kind.UNDELIVERED,
                        "undelivered:" + user + ":" + meta.epoch() + ":" + chunk.get(0).id(), user, now,
                        new Entry.Undelivered(reasons.get(sender), List.copyOf(chunk))), now);
            }
        });
        return next;
    }

    private String reasonToRemove(InboxMeta meta, long seq, Entry entry, long now, long minCursor, boolean sizeOnly) {
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
