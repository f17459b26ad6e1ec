package dev.pigeonhole.router;

import dev.pigeonhole.records.Entry;
import dev.pigeonhole.records.Push;
import java.time.Duration;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;

/** The inbox stores of one task, and the one way entries are appended to them. */
final class Inboxes {
    final KeyValueStore<byte[], byte[]> entries;
    final KeyValueStore<String, InboxMeta> meta;
    private final WindowStore<String, Long> seen;
    private final long dedupWindow;
    private final Retention retention;
    private final RouterMetrics metrics;

    Inboxes(ProcessorContext<?, ?> context, Duration dedupRetention, Retention retention, RouterMetrics metrics) {
        this.entries = context.getStateStore(RouterTopology.INBOX_STORE);
        this.meta = context.getStateStore(RouterTopology.META_STORE);
        this.seen = context.getStateStore(RouterTopology.DEDUP_STORE);
        this.dedupWindow = dedupRetention.toMillis();
        this.retention = retention;
        this.metrics = metrics;
    }

    /** The user's inbox state; a new inbox whose epoch is {@code timestamp} (the creating operation's) if none. */
    InboxMeta metaOrCreate(String user, long timestamp) {
        InboxMeta m = meta.get(user);
        return m != null ? m : InboxMeta.create(timestamp);
    }

    /**
     * Appends {@code entry} with the user's next seq (gapless, S3) unless the inbox already holds it (same
     * {@link Entry#dedupKey()} within the dedup retention, S2), trims the inbox to its size, and pushes the entry to
     * every delivery instance holding a socket of the user.
     *
     * @return false for a duplicate
     */
    boolean append(String user, Entry entry, long timestamp, Outputs out) {
        String key = user + '\u0000' + entry.dedupKey();
        // Resends carry later timestamps, unless gateway clocks disagree: look both ways.
        try (WindowStoreIterator<Long> it = seen.fetch(key, Math.max(0, timestamp - dedupWindow), timestamp + dedupWindow)) {
            if (it.hasNext()) {
                metrics.duplicate();
                return false;
            }
        }
        InboxMeta next = metaOrCreate(user, timestamp).append();
        Entry stored = entry.withSeq(next.head());
        // The entry before the meta: a concurrent read never sees a head whose entry is missing.
        entries.put(InboxKeys.of(user, stored.seq()), stored.encode());
        seen.put(key, stored.seq(), timestamp);
        next = retention.trimOverflow(user, next, timestamp, this, out);
        meta.put(user, next);
        metrics.appended();
        if (!next.live().isEmpty()) {
            Push push = new Push.NewEntry(user, next.epoch(), next.head(), stored);
            for (String instance : next.instances()) {
                out.push(instance, push, timestamp);
            }
        }
        return true;
    }

    /** The seq of the user's newest entry (0 for none). */
    long head(String user) {
        InboxMeta m = meta.get(user);
        return m == null ? 0 : m.head();
    }

    /** Whether {@code device} of {@code user} made a shadow update with {@code clientToken} within the dedup retention. */
    boolean seenShadowRequest(String user, String device, String clientToken, long timestamp) {
        try (WindowStoreIterator<Long> it = seen.fetch(shadowKey(user, device, clientToken),
                Math.max(0, timestamp - dedupWindow), timestamp + dedupWindow)) {
            return it.hasNext();
        }
    }

    void rememberShadowRequest(String user, String device, String clientToken, long version, long timestamp) {
        seen.put(shadowKey(user, device, clientToken), version, timestamp);
    }

    private static String shadowKey(String user, String device, String clientToken) {
        // kind 0 is no entry kind: these keys never meet an entry's dedup key
        return user + "\u0000" + "0\u0000shadow\u0000" + device + '\u0000' + clientToken;
    }

    Entry entry(String user, long seq) {
        byte[] bytes = entries.get(InboxKeys.of(user, seq));
        return bytes == null ? null : Entry.decode(bytes);
    }

    /** The user's stored entries {@code from..to} (inclusive), in seq order. */
    KeyValueIterator<byte[], byte[]> range(String user, long from, long to) {
        return entries.range(InboxKeys.of(user, from), InboxKeys.of(user, to));
    }
}
