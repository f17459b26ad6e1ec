package dev.pigeonhole.router;

import dev.pigeonhole.protocol.Ids;
import dev.pigeonhole.protocol.topics.SendEnvelope;
import java.time.Duration;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import dev.pigeonhole.protocol.Json;
import dev.pigeonhole.protocol.ServerFrame;
import dev.pigeonhole.protocol.topics.GroupRecord;
import dev.pigeonhole.protocol.topics.InboxEntry;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs on the sender's partition. Drops a send whose (sender device, client id) was seen within the retention
 * period (S2), then emits one copy per recipient inbox, re-keyed by recipient user: the addressed user, or every
 * member of the addressed group but the sender (S10), and the sender's own inbox (S9). A group send the group does
 * not take (unknown group; sender not a member where only members post) reaches nobody: the sender's inbox gets an
 * {@code undelivered} notice instead.
 */
final class DedupFanOut implements Processor<String, SendEnvelope, String, RoutedSend> {
    private final Duration retention;
    private final RouterMetrics metrics;
    private ProcessorContext<String, RoutedSend> context;
    private WindowStore<String, Long> seen;
    private ReadOnlyKeyValueStore<String, GroupRecord> groups;

    DedupFanOut(Duration retention, RouterMetrics metrics) {
        this.retention = retention;
        this.metrics = metrics;
    }

    @Override
    public void init(ProcessorContext<String, RoutedSend> context) {
        this.context = context;
        this.seen = context.getStateStore(RouterTopology.DEDUP_STORE);
        this.groups = context.getStateStore(RouterTopology.GROUPS_STORE);
    }

    @Override
    public void process(Record<String, SendEnvelope> record) {
        SendEnvelope send = record.value();
        if (send == null) {
            return;
        }
        String key = send.from() + '/' + send.fromDevice() + '/' + send.id();
        long ts = record.timestamp();
        long window = retention.toMillis();
        try (WindowStoreIterator<Long> it = seen.fetch(key, Math.max(0, ts - window), ts + window)) {
            if (it.hasNext()) {
                metrics.duplicate();
                return;
            }
        }
        seen.put(key, ts, ts);
        if (Ids.isGroup(send.to())) {
            fanOutToGroup(record, send);
            return;
        }
        if (!send.to().equals(send.from())) {
            context.forward(record.withKey(send.to()).withValue(new RoutedSend(send, false)));
        }
        context.forward(record.withKey(send.from()).withValue(new RoutedSend(send, true)));
    }

    private void fanOutToGroup(Record<String, SendEnvelope> record, SendEnvelope send) {
        String group = send.to().substring(Ids.GROUP_PREFIX.length());
        GroupRecord g = groups.get(GroupRecord.groupKey(group));
        List<String> members = new ArrayList<>();
        if (g != null && g.group() != null) {
            String prefix = GroupRecord.membersPrefix(group);
            try (KeyValueIterator<String, GroupRecord> it = groups.prefixScan(prefix, new StringSerializer())) {
                while (it.hasNext()) {
                    members.add(it.next().key.substring(prefix.length()));
                }
            }
        }
        String refusal = g == null || g.group() == null ? "unknown_group"
                : !g.group().anyoneMayPost() && !members.contains(send.from()) ? "not_a_member" : null;
        if (refusal != null) {
            metrics.groupRefused();
            InboxEntry notice = new InboxEntry(0, "undelivered:" + send.fromDevice() + ":" + send.id(), send.to(), null,
                    send.from(), Json.MAPPER.valueToTree(new InboxEntry.Undelivered(refusal,
                            List.of(new ServerFrame.Undelivered.Item(send.id(), send.to(), send.sentAt())))),
                    send.sentAt(), false, InboxEntry.Kind.UNDELIVERED);
            context.forward(record.withKey(send.from()).withValue(new RoutedSend(null, false, notice)));
            return;
        }
        for (String member : members) {
            if (!member.equals(send.from())) {
                context.forward(record.withKey(member).withValue(new RoutedSend(send, false)));
            }
        }
        metrics.fannedOut(members.size());
        context.forward(record.withKey(send.from()).withValue(new RoutedSend(send, true)));
    }
}
