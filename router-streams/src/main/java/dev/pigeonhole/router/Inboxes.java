package dev.pigeonhole.router;

import dev.pigeonhole.protocol.topics.InboxEntry;
import dev.pigeonhole.protocol.topics.PushRecord;
import java.util.function.LongFunction;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

/** The inbox stores of one task, and the one way entries are appended to them. */
final class Inboxes {
    final KeyValueStore<String, InboxEntry> entries;
    final KeyValueStore<String, InboxMeta> meta;
    final KeyValueStore<String, DeviceSessions> sessions;
    private final Retention retention;

    /** @param retention trims an inbox over its size at once when an append passes it; null for read/ack-only use */
    Inboxes(ProcessorContext<?, ?> context, Retention retention) {
        this.retention = retention;
        this.entries = context.getStateStore(RouterTopology.INBOX_STORE);
        this.meta = context.getStateStore(RouterTopology.META_STORE);
        this.sessions = context.getStateStore(RouterTopology.SESSIONS_STORE);
    }

    /**
     * Gives the entry built by {@code entryAt(seq)} the user's next seq (gapless, S3), stores it, and pushes it to
     * every delivery instance that holds a socket of the user.
     */
    void append(String user, LongFunction<InboxEntry> entryAt, Record<?, ?> cause, ProcessorContext<String, Emit> context) {
        InboxMeta current = meta.get(user);
        InboxMeta next = (current == null ? InboxMeta.create(cause.timestamp()) : current).append();
        InboxEntry entry = entryAt.apply(next.head());
        entries.put(InboxKeys.of(user, entry.seq()), entry);
        meta.put(user, next);
        if (retention != null) {
            retention.trimOverflow(user, next, cause.timestamp(), this, context);
        }

        DeviceSessions connected = sessions.get(user);
        if (connected != null) {
            PushRecord push = new PushRecord(user, next.epoch(), next.head(), entry);
            for (String instance : connected.instances()) {
                context.forward(cause.withKey(instance).withValue(Emit.push(push)));
            }
        }
    }
}
