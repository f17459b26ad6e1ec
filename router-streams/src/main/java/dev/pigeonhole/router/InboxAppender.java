package dev.pigeonhole.router;

import dev.pigeonhole.protocol.topics.InboxEntry;
import dev.pigeonhole.protocol.topics.PushRecord;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Runs on the recipient's partition. Gives each routed send the next sequence number of the recipient's inbox
 * (gapless, S3), stores it, and pushes it to every delivery instance that holds a socket of the user.
 */
final class InboxAppender implements Processor<String, RoutedSend, String, PushRecord> {
    private ProcessorContext<String, PushRecord> context;
    private KeyValueStore<String, InboxEntry> inbox;
    private KeyValueStore<String, InboxMeta> meta;
    private KeyValueStore<String, DeviceSessions> sessions;

    @Override
    public void init(ProcessorContext<String, PushRecord> context) {
        this.context = context;
        this.inbox = context.getStateStore(RouterTopology.INBOX_STORE);
        this.meta = context.getStateStore(RouterTopology.META_STORE);
        this.sessions = context.getStateStore(RouterTopology.SESSIONS_STORE);
    }

    @Override
    public void process(Record<String, RoutedSend> record) {
        String user = record.key();
        RoutedSend routed = record.value();
        if (user == null || routed == null) {
            return;
        }
        InboxMeta current = meta.get(user);
        InboxMeta next = (current == null ? InboxMeta.create(record.timestamp()) : current).append();
        InboxEntry entry = InboxEntry.of(next.head(), routed.send(), routed.own());
        inbox.put(InboxKeys.of(user, entry.seq()), entry);
        meta.put(user, next);

        DeviceSessions connected = sessions.get(user);
        if (connected != null) {
            PushRecord push = new PushRecord(user, next.epoch(), next.head(), entry);
            for (String instance : connected.instances()) {
                context.forward(record.withKey(instance).withValue(push));
            }
        }
    }
}
