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
 * Keeps, per user, the one live inbox socket of each device and the registered devices.
 *
 * <ul>
 *   <li>A connect registers an unknown device: at the position its socket asked for, else at the inbox head when
 *       the user has other devices (a new device starts at the tail), else at 0 (a first device gets everything).
 *   <li>One socket per device (S7): when a device has two, the one opened later stays and the router orders the
 *       instance of the other to close it ({@code DISPLACED}).
 *   <li>On every connect or refresh it pushes the inbox head to that instance: entries routed before the router
 *       learnt of the session are then read from the store, so none is missed between backlog and live.
 *   <li>Sessions not refreshed within the expiry are dropped (their instance died without saying so).
 *   <li>Removing a device drops its cursor and closes its socket ({@code REMOVED}).
 * </ul>
 */
final class SessionTracker implements Processor<String, SessionRecord, String, Emit> {
    private final Duration expiry;
    private ProcessorContext<String, Emit> context;
    private KeyValueStore<String, InboxMeta> meta;
    private KeyValueStore<String, DeviceSessions> sessions;

    SessionTracker(Duration expiry) {
        this.expiry = expiry;
    }

    @Override
    public void init(ProcessorContext<String, Emit> context) {
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
        if (user == null || s == null || s.op() == null || s.device() == null) {
            return;
        }
        DeviceSessions current = sessions.get(user);
        if (current == null) {
            current = DeviceSessions.empty();
        }
        switch (s.op()) {
            case CONNECT, REFRESH -> connected(record, user, s, current);
            case DISCONNECT -> save(user, current, current.remove(s.device(), s.connection()));
            case REMOVE -> {
                DeviceSessions.Session live = current.get(s.device());
                if (live != null) {
                    close(record, user, s.device(), live, PushRecord.Close.Reason.REMOVED);
                }
                save(user, current, current.remove(s.device(), null));
                InboxMeta m = meta.get(user);
                if (m != null && m.knows(s.device())) {
                    meta.put(user, m.remove(s.device()));
                }
            }
        }
    }

    private void connected(Record<String, SessionRecord> record, String user, SessionRecord s, DeviceSessions current) {
        if (s.instance() == null || s.connection() == null) {
            return;
        }
        DeviceSessions.Session incoming = new DeviceSessions.Session(s.instance(), s.connection(), s.connectedAt(),
                context.currentSystemTimeMs());
        DeviceSessions.Session live = current.get(s.device());
        if (live != null && !live.connection().equals(s.connection())) {
            if (!incoming.newerThan(live)) {
                close(record, user, s.device(), incoming, PushRecord.Close.Reason.DISPLACED);
                return;
            }
            close(record, user, s.device(), live, PushRecord.Close.Reason.DISPLACED);
        }
        save(user, current, current.put(s.device(), incoming));

        InboxMeta m = meta.get(user);
        if (m == null) {
            m = InboxMeta.create(record.timestamp());
        }
        if (s.op() == SessionRecord.Op.CONNECT && !m.knows(s.device())) { // a refresh never re-registers a removed device
            m = m.register(s.device(), s.after() != null ? s.after() : m.newDevicePosition(), record.timestamp());
            meta.put(user, m);
        }
        context.forward(record.withKey(s.instance()).withValue(Emit.push(new PushRecord(user, m.epoch(), m.head(), null))));
    }

    private void close(Record<?, ?> cause, String user, String device, DeviceSessions.Session session,
                       PushRecord.Close.Reason reason) {
        context.forward(cause.withKey(session.instance())
                .withValue(Emit.push(PushRecord.close(user, device, session.connection(), reason))));
    }

    private void save(String user, DeviceSessions before, DeviceSessions after) {
        if (after.isEmpty()) {
            if (!before.isEmpty()) {
                sessions.delete(user);
            }
        } else if (after != before) {
            sessions.put(user, after);
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
