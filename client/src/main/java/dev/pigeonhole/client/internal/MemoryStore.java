package dev.pigeonhole.client.internal;

import dev.pigeonhole.client.spi.Cursor;
import dev.pigeonhole.client.spi.InboxRow;
import dev.pigeonhole.client.spi.OutboxMessage;
import dev.pigeonhole.client.spi.PendingUpload;
import dev.pigeonhole.client.spi.ShadowOutbox;
import dev.pigeonhole.client.spi.ShadowUpdate;
import dev.pigeonhole.client.spi.Store;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Outbox, shadow updates, cursor and the local message store kept in memory: nothing survives the process. For
 * clients without a data directory.
 */
public final class MemoryStore implements Store {
    private final Map<String, OutboxMessage> pending = new LinkedHashMap<>();
    private final TreeMap<Long, ShadowUpdate> shadowUpdates = new TreeMap<>();
    private long nextPosition = 1;
    private long nextShadowPosition = 1;
    private Cursor cursor = Cursor.START;
    private final List<InboxRow> inbox = new ArrayList<>();
    private final Map<String, Long> markers = new java.util.HashMap<>();
    private final Map<String, List<PendingUpload>> uploads = new java.util.HashMap<>();

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
        uploads.remove(id);
    }

    @Override
    public synchronized OutboxMessage addWithUploads(String id, String to, String body, long createdAt,
                                                     List<PendingUpload> rows) {
        if (!pending.containsKey(id)) {
            uploads.put(id, new ArrayList<>(rows));
        }
        return add(id, to, body, createdAt);
    }

    @Override
    public synchronized List<PendingUpload> uploads(String messageId) {
        return List.copyOf(uploads.getOrDefault(messageId, List.of()));
    }

    @Override
    public synchronized void uploadCreated(String messageId, int index, String uploadUrl) {
        List<PendingUpload> rows = uploads.get(messageId);
        if (rows != null) {
            PendingUpload u = rows.get(index);
            rows.set(index, new PendingUpload(u.messageId(), index, u.file(), u.size(), u.sha256(), u.type(), u.name(),
                    u.preview(), uploadUrl, u.ref()));
        }
    }

    @Override
    public synchronized void uploadFinished(String messageId, int index, String ref) {
        List<PendingUpload> rows = uploads.get(messageId);
        if (rows != null) {
            PendingUpload u = rows.get(index);
            rows.set(index, new PendingUpload(u.messageId(), index, u.file(), u.size(), u.sha256(), u.type(), u.name(),
                    u.preview(), u.uploadUrl(), ref));
        }
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
    public synchronized void received(List<InboxRow> rows, Cursor position) {
        long next = inbox.isEmpty() ? 1 : inbox.get(inbox.size() - 1).id() + 1;
        for (InboxRow r : rows) {
            inbox.add(r.withId(next++));
        }
        cursor = position;
    }

    @Override
    public synchronized List<InboxRow> after(long id, int limit) {
        // ids are 1, 2, 3, ...: the row with id k is at index k - 1
        int from = (int) Math.max(0, Math.min(id, inbox.size()));
        return new ArrayList<>(inbox.subList(from, (int) Math.min(inbox.size(), (long) from + limit)));
    }

    @Override
    public synchronized List<InboxRow> newest(int limit) {
        return new ArrayList<>(inbox.subList(Math.max(0, inbox.size() - limit), inbox.size()));
    }

    @Override
    public synchronized long marker(String name) {
        return markers.getOrDefault(name, 0L);
    }

    @Override
    public synchronized void mark(String name, long id) {
        markers.merge(name, id, Math::max);
    }

    @Override
    public synchronized int messagesFromOthersAfter(long id) {
        int n = 0;
        for (InboxRow r : inbox) {
            if (r.id() > id && "message".equals(r.kind()) && !r.own()) {
                n++;
            }
        }
        return n;
    }

    @Override
    public synchronized long lastIdAtOrBelow(long seq) {
        long last = 0;
        for (InboxRow r : inbox) {
            if (r.seq() <= seq) {
                last = r.id();
            }
        }
        return last;
    }

    @Override
    public void close() {
    }
}
