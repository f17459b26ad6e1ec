package dev.pigeonhole.router;

import dev.pigeonhole.protocol.topics.PushRecord;
import dev.pigeonhole.protocol.topics.SessionRecord;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Keeps, per user, which delivery instance holds each connected device. On every connect or refresh it pushes
 * the inbox head to that instance: entries routed before the router learnt of the session are then read from
 * the store, so none is missed between backlog and live. Sessions not refreshed within the expiry are dropped
 * (their instance died without saying so).
 */
final class SessionTracker implements Processor<String, SessionRecord, String, PushRecord> {
    private final Duration expiry;
    private ProcessorContext<String, PushRecord> context;
    private KeyValueStore<String, InboxMeta> meta;
    private KeyValueStore<String, DeviceSessions> sessions;

    SessionTracker(Duration expiry) {
        this.expiry = expiry;
    }

    @Override
    public void init(ProcessorContext<String, PushRecord> context) {
        this.context = context;
        this.meta = context.getStateStore(RouterTopology.META_STORE);
        this.sessions = context.getStateStore(RouterTopology.SESSIONS_STORE);
        Duration every = expiry.dividedBy(4).compareTo(Duration.ofSeconds(1)) < 0 ? Duration.ofSeconds(1) : expiry.dividedBy(4);
        context.schedule(every, PunctuationType.WALL_CLOCK_TIME, this::expire);
    }

    @Override
    public void process(Record<String, SessionRecord> record) {
        String user = record.key();
        SessionRecord s = record.value();
        if (user == null || s == null || s.device() == null || s.instance() == null) {
            return;
        }
        DeviceSessions current = sessions.get(user);
        if (current == null) {
            current = DeviceSessions.empty();
        }
        if (s.connected()) {
            sessions.put(user, current.connect(s.device(), s.instance(), context.currentSystemTimeMs()));
            InboxMeta m = meta.get(user);
            PushRecord head = m == null ? new PushRecord(user, 0, 0, null) : new PushRecord(user, m.epoch(), m.head(), null);
            context.forward(record.withKey(s.instance()).withValue(head));
        } else {
            DeviceSessions next = current.disconnect(s.device(), s.instance());
            if (next.isEmpty()) {
                sessions.delete(user);
            } else if (next != current) {
                sessions.put(user, next);
            }
        }
    }

    private void expire(long now) {
        long olderThan = now - expiry.toMillis();
        List<KeyValue<String, DeviceSessions>> changed = new ArrayList<>();
        try (KeyValueIterator<String, DeviceSessions> it = sessions.all()) {
            while (it.hasNext()) {
                KeyValue<String, DeviceSessions> kv = it.next();
                DeviceSessions next = kv.value.expire(olderThan);
                if (next != kv.value) {
                    changed.add(KeyValue.pair(kv.key, next));
                }
            }
        }
        for (KeyValue<String, DeviceSessions> kv : changed) {
            if (kv.value.isEmpty()) {
                sessions.delete(kv.key);
            } else {
                sessions.put(kv.key, kv.value);
            }
        }
    }
}
