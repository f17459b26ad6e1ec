package dev.pigeonhole.client.internal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Outbox and cursor kept in memory: nothing survives the process. For clients without a data directory. */
public final class MemoryStore implements Outbox, CursorStore {
    private final Map<String, OutboxMessage> pending = new LinkedHashMap<>();
    private long nextPosition = 1;
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
