package dev.pigeonhole.router;

import dev.pigeonhole.protocol.topics.DeviceList;
import dev.pigeonhole.protocol.topics.InboxEntry;
import dev.pigeonhole.protocol.topics.InboxPage;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/** Reads one user's inbox state from the local stores of the partition that owns the user. */
final class InboxPages {
    private InboxPages() {}

    /**
     * @param after  read entries after this seq; when null, after the device's acked cursor; for a device the inbox
     *               does not know, from the head if the user has other devices (a new device starts at the tail),
     *               else from the start (a user's first device gets everything waiting)
     * @param limit  at most this many entries
     */
    static InboxPage read(ReadOnlyKeyValueStore<String, InboxMeta> metaStore,
                          ReadOnlyKeyValueStore<String, InboxEntry> inboxStore,
                          String user, Long after, String device, int limit) {
        InboxMeta meta = metaStore.get(user);
        if (meta == null) {
            long from = after == null ? 0 : after;
            return new InboxPage(0, 0, from, 1, null, List.of());
        }
        long from = after != null ? after
                : device == null ? 0
                : meta.knows(device) ? meta.cursor(device) : meta.newDevicePosition();
        InboxPage.Gap gap = null;
        long start = from;
        if (from + 1 < meta.oldest() && from < meta.head()) {
            long to = Math.min(meta.oldest() - 1, meta.head());
            gap = new InboxPage.Gap(from + 1, to, meta.trimReason(to));
            start = to;
        }
        List<InboxEntry> entries = new ArrayList<>();
        long head = meta.head();
        // The appender writes the entry before the meta, so the range may hold entries past meta.head().
        try (KeyValueIterator<String, InboxEntry> it =
                     inboxStore.range(InboxKeys.of(user, start + 1), InboxKeys.last(user))) {
            while (it.hasNext() && entries.size() < limit) {
                KeyValue<String, InboxEntry> kv = it.next();
                entries.add(kv.value);
                head = Math.max(head, kv.value.seq());
            }
        }
        return new InboxPage(meta.epoch(), head, from, meta.oldest(), gap, entries);
    }

    /** The user's registered devices, with where each stands and whether it has a live socket. */
    static DeviceList devices(ReadOnlyKeyValueStore<String, InboxMeta> metaStore,
                              ReadOnlyKeyValueStore<String, DeviceSessions> sessionStore, String user) {
        InboxMeta meta = metaStore.get(user);
        DeviceSessions sessions = sessionStore.get(user);
        List<DeviceList.Device> out = new ArrayList<>();
        if (meta != null) {
            meta.devices().forEach((id, d) -> out.add(new DeviceList.Device(id, d.cursor(), d.read(), d.registeredAt(),
                    sessions != null && sessions.get(id) != null)));
        }
        out.sort(Comparator.comparing(DeviceList.Device::device));
        return new DeviceList(user, meta == null ? 0 : meta.head(), out);
    }
}
