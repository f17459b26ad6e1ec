package dev.pigeonhole.router;

import dev.pigeonhole.records.DeviceList;
import dev.pigeonhole.records.Entry;
import dev.pigeonhole.records.InboxPage;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/** Reads one user's inbox state from the local stores of the partition that owns the user. */
final class InboxPages {
    /** Superseded shadow entries one page holds at most, besides its {@code limit} of others. */
    static final int MAX_SUPERSEDED = 4096;

    private InboxPages() {}

    /**
     * @param after  read entries after this seq; when null, after the device's acked cursor (no device: from 0)
     * @param limit  at most this many entries (superseded shadow entries not counted: at most {@link #MAX_SUPERSEDED})
     * @param maxBytes and entries of at most this many bytes in all (stored size), but always at least one: a
     *                 reader's memory follows the bytes it asked for, not the count times the largest body
     * @return null when {@code after} is null and the device is not registered yet: its connect has not been
     *         applied, and only that decides where it starts
     */
    static InboxPage read(ReadOnlyKeyValueStore<String, InboxMeta> metaStore,
                          ReadOnlyKeyValueStore<byte[], byte[]> inboxStore,
                          String user, Long after, String device, int limit, long maxBytes) {
        InboxMeta meta = metaStore.get(user);
        if (after == null && device != null && (meta == null || !meta.knows(device))) {
            return null;
        }
        if (meta == null) {
            return new InboxPage(0, 0, after == null ? 0 : after, 1, null, List.of());
        }
        long from = after != null ? after : device == null ? 0 : meta.cursor(device);
        InboxPage.Gap gap = null;
        long start = from;
        if (from + 1 < meta.oldest() && from < meta.head()) {
            long to = Math.min(meta.oldest() - 1, meta.head());
            gap = new InboxPage.Gap(from + 1, to, meta.trimReason(to));
            start = to;
        }
        List<Entry> entries = new ArrayList<>();
        long head = meta.head();
        // The processor writes the entry before the meta, so the range may hold entries past meta.head().
        try (KeyValueIterator<byte[], byte[]> it = inboxStore.range(InboxKeys.of(user, start + 1), InboxKeys.last(user))) {
            long bytes = 0;
            int superseded = 0;
            while (it.hasNext() && entries.size() - superseded < limit) {
                KeyValue<byte[], byte[]> kv = it.next();
                Entry e = Entry.decode(kv.value);
                if (e.kind() == Entry.Kind.SUPERSEDED) {
                    // no content: a run of them becomes one gap frame, so they count toward neither limit
                    if (superseded == MAX_SUPERSEDED) {
                        break;
                    }
                    superseded++;
                } else if (!entries.isEmpty() && bytes + kv.value.length > maxBytes) {
                    break;
                } else {
                    bytes += kv.value.length;
                }
                entries.add(e);
                head = Math.max(head, e.seq());
            }
        }
        return new InboxPage(meta.epoch(), head, from, meta.oldest(), gap, entries);
    }

    /** The user's registered devices, with where each stands and whether it has a live socket. */
    static DeviceList devices(ReadOnlyKeyValueStore<String, InboxMeta> metaStore, String user) {
        InboxMeta meta = metaStore.get(user);
        List<DeviceList.Device> out = new ArrayList<>();
        if (meta != null) {
            meta.devices().forEach((id, d) -> out.add(new DeviceList.Device(id, d.cursor(), d.read(), d.registeredAt(),
                    meta.live().containsKey(id))));
        }
        out.sort(Comparator.comparing(DeviceList.Device::device));
        return new DeviceList(user, meta == null ? 0 : meta.head(), out);
    }
}
