package dev.pigeonhole.client.internal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Outbox, shadow updates and cursor kept in memory: nothing survives the process. For clients without a data
 * directory.
 */
public final class MemoryStore implements Outbox, CursorStore, ShadowOutbox {
    private final Map<String, OutboxMessage> pending = new LinkedHashMap<>();
    private final TreeMap<Long, ShadowUpdate> shadowUpdates = new TreeMap<>();
    private long nextPosition = 1;
    private long nextShadowPosition = 1;
    private Cursor cursor = Cursor.START;

    @Override
    public synchronized OutboxMessage add(String id, String to, String body, long createdAt) {
        OutboxMessage existing = pending.get(id);
        if (existing != null) {
            return existing;
        }
        OutboxMessage m = new OutboxMessage(nextPosition++, id, to, body, createdAt);
        pending.put(id, m);
        return m;
    }

    @Override
    public synchronized List<OutboxMessage> pending() {
        return new ArrayList<>(pending.values());
    }

    @Override
    public synchronized void remove(String id) {
        pending.remove(id);
    }

    @Override
    public synchronized ShadowUpdate queueShadowUpdate(String thing, String name, String section, String patch,
                                                       Long version, long createdAt, String clientToken) {
        ShadowUpdate last = null;
        for (ShadowUpdate u : shadowUpdates.descendingMap().values()) {
            if (u.thing().equals(thing) && u.name().equals(name) && u.section().equals(section)) {
                last = u;
                break;
            }
        }
        var merged = ShadowOutbox.coalesceInto(last, patch, version);
        ShadowUpdate row = merged.isPresent()
                ? new ShadowUpdate(last.position(), thing, name, section, merged.get(), null, clientToken,
                        last.createdAt(), false)
                : new ShadowUpdate(nextShadowPosition++, thing, name, section, patch, version, clientToken, createdAt,
                        false);
        shadowUpdates.put(row.position(), row);
        return row;
    }

    @Override
    public synchronized List<ShadowUpdate> pendingShadowUpdates() {
        return new ArrayList<>(shadowUpdates.values());
    }

    @Override
    public synchronized ShadowUpdate claimShadowUpdate(long position) {
        ShadowUpdate u = shadowUpdates.get(position);
        if (u == null || u.sent()) {
            return u;
        }
        ShadowUpdate sent = new ShadowUpdate(u.position(), u.thing(), u.name(), u.section(), u.patch(), u.version(),
                u.clientToken(), u.createdAt(), true);
        shadowUpdates.put(position, sent);
        return sent;
    }

    @Override
    public synchronized void removeShadowUpdate(long position) {
        shadowUpdates.remove(position);
    }

    @Override
    public synchronized Cursor load() {
        return cursor;
    }

    @Override
    public synchronized void save(Cursor cursor) {
        this.cursor = cursor;
    }

    @Override
    public void close() {
    }
}
