package dev.pigeonhole.router;

import dev.pigeonhole.protocol.topics.InboxEntry;
import dev.pigeonhole.protocol.topics.InboxPage;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/** Reads one page of an inbox from the local stores of the partition that owns the user. */
final class InboxPages {
    private InboxPages() {}

    /**
     * @param after  read entries after this seq; when null, after the device's acked cursor (0 without device)
     * @param limit  at most this many entries
     */
    static InboxPage read(ReadOnlyKeyValueStore<String, InboxMeta> metaStore,
                          ReadOnlyKeyValueStore<String, InboxEntry> inboxStore,
                          String user, Long after, String device, int limit) {
        InboxMeta meta = metaStore.get(user);
        if (meta == null) {
            return new InboxPage(0, 0, after == null ? 0 : after, List.of());
        }
        long from = after != null ? after : device != null ? meta.cursor(device) : 0;
        List<InboxEntry> entries = new ArrayList<>();
        long head = meta.head();
        // The appender writes the entry before the meta, so the range may hold entries past meta.head().
        try (KeyValueIterator<String, InboxEntry> it =
                     inboxStore.range(InboxKeys.of(user, from + 1), InboxKeys.last(user))) {
            while (it.hasNext() && entries.size() < limit) {
                KeyValue<String, InboxEntry> kv = it.next();
                entries.add(kv.value);
                head = Math.max(head, kv.value.seq());
            }
        }
        return new InboxPage(meta.epoch(), head, from, entries);
    }
}
