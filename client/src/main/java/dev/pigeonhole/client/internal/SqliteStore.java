package dev.pigeonhole.client.internal;

import dev.pigeonhole.client.DataDirectoryInUseException;
import dev.pigeonhole.client.spi.Cursor;
import dev.pigeonhole.client.spi.InboxRow;
import dev.pigeonhole.client.spi.OutboxMessage;
import dev.pigeonhole.client.spi.PendingUpload;
import dev.pigeonhole.client.spi.ShadowOutbox;
import dev.pigeonhole.client.spi.ShadowUpdate;
import dev.pigeonhole.client.spi.Store;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * Outbox, shadow updates, cursor and the local message store (table {@code inbox}, with the markers of
 * {@link InboxStore}) in one SQLite database in the data directory ({@code pigeonhole.db}), in WAL mode with
 * {@code synchronous=FULL}: a message is on disk when {@link #add} returns, so it survives a killed process and a
 * power loss; received entries and the position are written in one transaction. A lock file ({@code pigeonhole.lock},
 * {@link FileChannel#tryLock()}, holding the holder's pid as text) keeps a second client from using the same
 * directory: it gets a {@link DataDirectoryInUseException}.
 */
public final class SqliteStore implements Store {
    private final Connection db;
    private final FileChannel lockChannel;
    private final FileLock lock;

    public SqliteStore(Path dataDir) {
        try {
            Files.createDirectories(dataDir);
            Path lockFile = dataDir.resolve("pigeonhole.lock");
            lockChannel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock acquired;
            try {
                acquired = lockChannel.tryLock();
            } catch (java.nio.channels.OverlappingFileLockException sameProcess) {
                acquired = null;
            }
            lock = acquired;
            if (lock == null) {
                lockChannel.close();
                throw new DataDirectoryInUseException(dataDir, holderPid(lockFile));
            }
            // Who holds it, for the message a second client gives (the lock itself is what counts).
            lockChannel.truncate(0);
            lockChannel.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)), 0);
            lockChannel.force(false);
            db = DriverManager.getConnection("jdbc:sqlite:" + dataDir.resolve("pigeonhole.db"));
            try (Statement s = db.createStatement()) {
                s.execute("PRAGMA journal_mode=WAL");
                s.execute("PRAGMA synchronous=FULL");
                s.execute("CREATE TABLE IF NOT EXISTS outbox (position INTEGER PRIMARY KEY AUTOINCREMENT,"
                        + " id TEXT NOT NULL UNIQUE, recipient TEXT NOT NULL, body TEXT NOT NULL, created_at INTEGER NOT NULL)");
                s.execute("CREATE TABLE IF NOT EXISTS cursor (k INTEGER PRIMARY KEY CHECK (k = 0),"
                        + " seq INTEGER NOT NULL, epoch INTEGER NOT NULL)");
                s.execute("CREATE TABLE IF NOT EXISTS shadow_outbox (position INTEGER PRIMARY KEY AUTOINCREMENT,"
                        + " thing TEXT NOT NULL, name TEXT NOT NULL, section TEXT NOT NULL, patch TEXT NOT NULL,"
                        + " version INTEGER, client_token TEXT NOT NULL, created_at INTEGER NOT NULL,"
                        + " sent INTEGER NOT NULL DEFAULT 0)");
                s.execute("CREATE INDEX IF NOT EXISTS shadow_outbox_key ON shadow_outbox (thing, name, section, position)");
                // The local message store: every entry received, in the order received (id), with the frame as JSON.
                s.execute("CREATE TABLE IF NOT EXISTS inbox (id INTEGER PRIMARY KEY AUTOINCREMENT, seq INTEGER NOT NULL,"
                        + " epoch INTEGER NOT NULL, kind TEXT NOT NULL, sender TEXT, recipient TEXT,"
                        + " own INTEGER NOT NULL DEFAULT 0, at INTEGER NOT NULL, frame TEXT NOT NULL,"
                        + " received_at INTEGER NOT NULL)");
                s.execute("CREATE INDEX IF NOT EXISTS inbox_seq ON inbox (seq)");
                s.execute("CREATE TABLE IF NOT EXISTS inbox_markers (name TEXT PRIMARY KEY, id INTEGER NOT NULL)");
                // Attachments of outbox messages and their uploads' state (client/DESIGN.md, Attachments).
                s.execute("CREATE TABLE IF NOT EXISTS uploads (message_id TEXT NOT NULL, idx INTEGER NOT NULL,"
                        + " file TEXT NOT NULL, size INTEGER NOT NULL, sha256 TEXT NOT NULL, type TEXT NOT NULL,"
                        + " name TEXT, preview TEXT, upload_url TEXT, ref TEXT, PRIMARY KEY (message_id, idx))");
            }
        } catch (IOException e) {
            releaseAfterFailure();
            throw new UncheckedIOException(e);
        } catch (SQLException e) {
            releaseAfterFailure();
            throw new IllegalStateException("cannot open the client database in " + dataDir, e);
        }
    }

    /** The pid the lock's holder wrote into the lock file, or 0 if it cannot be read. */
    private static long holderPid(Path lockFile) {
        try {
            return Long.parseLong(Files.readString(lockFile, StandardCharsets.US_ASCII).trim());
        } catch (IOException | RuntimeException unknown) {
            return 0;
        }
    }

    private void releaseAfterFailure() {
        try {
            if (lockChannel != null) {
                lockChannel.close(); // releases the lock too
            }
        } catch (IOException ignored) {
            // failing anyway
        }
    }

    @Override
    public synchronized OutboxMessage add(String id, String to, String body, long createdAt) {
        try (PreparedStatement insert = db.prepareStatement(
                "INSERT OR IGNORE INTO outbox (id, recipient, body, created_at) VALUES (?, ?, ?, ?)")) {
            insert.setString(1, id);
            insert.setString(2, to);
            insert.setString(3, body);
            insert.setLong(4, createdAt);
            insert.executeUpdate();
            try (PreparedStatement q = db.prepareStatement(
                    "SELECT position, id, recipient, body, created_at FROM outbox WHERE id = ?")) {
                q.setString(1, id);
                try (ResultSet rs = q.executeQuery()) {
                    rs.next();
                    return row(rs);
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot store message " + id, e);
        }
    }

    @Override
    public synchronized List<OutboxMessage> pending() {
        List<OutboxMessage> out = new ArrayList<>();
        try (Statement s = db.createStatement();
             ResultSet rs = s.executeQuery("SELECT position, id, recipient, body, created_at FROM outbox ORDER BY position")) {
            while (rs.next()) {
                out.add(row(rs));
            }
            return out;
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read the outbox", e);
        }
    }

    @Override
    public synchronized void remove(String id) {
        removeAll(List.of(id));
    }

    @Override
    public synchronized OutboxMessage addWithUploads(String id, String to, String body, long createdAt,
                                                     List<PendingUpload> uploads) {
        return inTransaction("cannot store message " + id, () -> {
            try (PreparedStatement insert = db.prepareStatement("INSERT OR IGNORE INTO uploads (message_id, idx, file,"
                    + " size, sha256, type, name, preview) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
                for (PendingUpload u : uploads) {
                    insert.setString(1, id);
                    insert.setInt(2, u.index());
                    insert.setString(3, u.file());
                    insert.setLong(4, u.size());
                    insert.setString(5, u.sha256());
                    insert.setString(6, u.type());
                    insert.setString(7, u.name());
                    insert.setString(8, u.preview());
                    insert.addBatch();
                }
                insert.executeBatch();
                OutboxMessage m = add(id, to, body, createdAt);
                return m;
            }
        });
    }

    @Override
    public synchronized List<PendingUpload> uploads(String messageId) {
        List<PendingUpload> out = new ArrayList<>();
        try (PreparedStatement q = db.prepareStatement("SELECT idx, file, size, sha256, type, name, preview, upload_url,"
                + " ref FROM uploads WHERE message_id = ? ORDER BY idx")) {
            q.setString(1, messageId);
            try (ResultSet rs = q.executeQuery()) {
                while (rs.next()) {
                    out.add(new PendingUpload(messageId, rs.getInt(1), rs.getString(2), rs.getLong(3), rs.getString(4),
                            rs.getString(5), rs.getString(6), rs.getString(7), rs.getString(8), rs.getString(9)));
                }
            }
            return out;
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read the uploads of " + messageId, e);
        }
    }

    @Override
    public synchronized void uploadCreated(String messageId, int index, String uploadUrl) {
        updateUpload("upload_url", messageId, index, uploadUrl);
    }

    @Override
    public synchronized void uploadFinished(String messageId, int index, String ref) {
        updateUpload("ref", messageId, index, ref);
    }

    private void updateUpload(String column, String messageId, int index, String value) {
        try (PreparedStatement u = db.prepareStatement("UPDATE uploads SET " + column + " = ? WHERE message_id = ? AND idx = ?")) {
            u.setString(1, value);
            u.setString(2, messageId);
            u.setInt(3, index);
            u.executeUpdate();
        } catch (SQLException e) {
            throw new IllegalStateException("cannot update the upload of " + messageId, e);
        }
    }

    @Override
    public synchronized void removeAll(java.util.Collection<String> ids) {
        if (ids.isEmpty()) {
            return;
        }
        inTransaction("cannot remove accepted messages", () -> {
            try (PreparedStatement d = db.prepareStatement("DELETE FROM outbox WHERE id = ?");
                 PreparedStatement du = db.prepareStatement("DELETE FROM uploads WHERE message_id = ?")) {
                for (String id : ids) {
                    d.setString(1, id);
                    d.addBatch();
                    du.setString(1, id);
                    du.addBatch();
                }
                d.executeBatch();
                du.executeBatch();
                return null;
            }
        });
    }

    private static final String SHADOW_COLUMNS =
            "position, thing, name, section, patch, version, client_token, created_at, sent";

    /** Reads the newest row of the key and inserts or merges in one transaction. */
    @Override
    public synchronized ShadowUpdate queueShadowUpdate(String thing, String name, String section, String patch,
                                                       Long version, long createdAt, String clientToken) {
        return inTransaction("cannot store the shadow update of " + thing, () -> {
            ShadowUpdate last;
            try (PreparedStatement q = db.prepareStatement("SELECT " + SHADOW_COLUMNS + " FROM shadow_outbox"
                    + " WHERE thing = ? AND name = ? AND section = ? ORDER BY position DESC LIMIT 1")) {
                q.setString(1, thing);
                q.setString(2, name);
                q.setString(3, section);
                try (ResultSet rs = q.executeQuery()) {
                    last = rs.next() ? shadowRow(rs) : null;
                }
            }
            var merged = ShadowOutbox.coalesceInto(last, patch, version);
            ShadowUpdate row;
            if (merged.isPresent()) {
                try (PreparedStatement u = db.prepareStatement(
                        "UPDATE shadow_outbox SET patch = ?, client_token = ? WHERE position = ?")) {
                    u.setString(1, merged.get());
                    u.setString(2, clientToken);
                    u.setLong(3, last.position());
                    u.executeUpdate();
                }
                row = new ShadowUpdate(last.position(), thing, name, section, merged.get(), null, clientToken,
                        last.createdAt(), false);
            } else {
                try (PreparedStatement i = db.prepareStatement("INSERT INTO shadow_outbox"
                        + " (thing, name, section, patch, version, client_token, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                        Statement.RETURN_GENERATED_KEYS)) {
                    i.setString(1, thing);
                    i.setString(2, name);
                    i.setString(3, section);
                    i.setString(4, patch);
                    if (version == null) {
                        i.setNull(5, java.sql.Types.INTEGER);
                    } else {
                        i.setLong(5, version);
                    }
                    i.setString(6, clientToken);
                    i.setLong(7, createdAt);
                    i.executeUpdate();
                    try (ResultSet keys = i.getGeneratedKeys()) {
                        keys.next();
                        row = new ShadowUpdate(keys.getLong(1), thing, name, section, patch, version, clientToken,
                                createdAt, false);
                    }
                }
            }
            return row;
        });
    }

    @Override
    public synchronized List<ShadowUpdate> pendingShadowUpdates() {
        List<ShadowUpdate> out = new ArrayList<>();
        try (Statement s = db.createStatement();
             ResultSet rs = s.executeQuery("SELECT " + SHADOW_COLUMNS + " FROM shadow_outbox ORDER BY position")) {
            while (rs.next()) {
                out.add(shadowRow(rs));
            }
            return out;
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read the shadow updates", e);
        }
    }

    @Override
    public synchronized ShadowUpdate claimShadowUpdate(long position) {
        try {
            try (PreparedStatement u = db.prepareStatement("UPDATE shadow_outbox SET sent = 1 WHERE position = ? AND sent = 0")) {
                u.setLong(1, position);
                u.executeUpdate();
            }
            try (PreparedStatement q = db.prepareStatement("SELECT " + SHADOW_COLUMNS + " FROM shadow_outbox WHERE position = ?")) {
                q.setLong(1, position);
                try (ResultSet rs = q.executeQuery()) {
                    return rs.next() ? shadowRow(rs) : null;
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot mark shadow update " + position + " sent", e);
        }
    }

    @Override
    public synchronized void removeShadowUpdate(long position) {
        try (PreparedStatement d = db.prepareStatement("DELETE FROM shadow_outbox WHERE position = ?")) {
            d.setLong(1, position);
            d.executeUpdate();
        } catch (SQLException e) {
            throw new IllegalStateException("cannot remove shadow update " + position, e);
        }
    }

    private static ShadowUpdate shadowRow(ResultSet rs) throws SQLException {
        long version = rs.getLong(6);
        Long v = rs.wasNull() ? null : version;
        return new ShadowUpdate(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5), v,
                rs.getString(7), rs.getLong(8), rs.getInt(9) != 0);
    }

    @Override
    public synchronized Cursor load() {
        try (Statement s = db.createStatement(); ResultSet rs = s.executeQuery("SELECT seq, epoch FROM cursor WHERE k = 0")) {
            return rs.next() ? new Cursor(rs.getLong(1), rs.getLong(2)) : Cursor.START;
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read the cursor", e);
        }
    }

    @Override
    public synchronized void save(Cursor cursor) {
        try {
            saveCursor(cursor);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot store the cursor", e);
        }
    }

    private void saveCursor(Cursor cursor) throws SQLException {
        try (PreparedStatement u = db.prepareStatement("INSERT INTO cursor (k, seq, epoch) VALUES (0, ?, ?)"
                + " ON CONFLICT(k) DO UPDATE SET seq = excluded.seq, epoch = excluded.epoch")) {
            u.setLong(1, cursor.seq());
            u.setLong(2, cursor.epoch());
            u.executeUpdate();
        }
    }

    private static final String INBOX_COLUMNS = "id, seq, epoch, kind, sender, recipient, own, at, frame";

    @Override
    public synchronized void received(List<InboxRow> rows, Cursor position) {
        inTransaction("cannot store received entries", () -> {
            try (PreparedStatement i = db.prepareStatement("INSERT INTO inbox"
                    + " (seq, epoch, kind, sender, recipient, own, at, frame, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
                long now = System.currentTimeMillis();
                for (InboxRow r : rows) {
                    i.setLong(1, r.seq());
                    i.setLong(2, r.epoch());
                    i.setString(3, r.kind());
                    i.setString(4, r.from());
                    i.setString(5, r.to());
                    i.setInt(6, r.own() ? 1 : 0);
                    i.setLong(7, r.at());
                    i.setString(8, r.json());
                    i.setLong(9, now);
                    i.addBatch();
                }
                i.executeBatch();
            }
            saveCursor(position);
            return null;
        });
    }

    @Override
    public synchronized List<InboxRow> after(long id, int limit) {
        try (PreparedStatement q = db.prepareStatement("SELECT " + INBOX_COLUMNS + " FROM inbox WHERE id > ? ORDER BY id LIMIT ?")) {
            q.setLong(1, id);
            q.setInt(2, limit);
            return inboxRows(q);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read the local inbox", e);
        }
    }

    @Override
    public synchronized List<InboxRow> newest(int limit) {
        try (PreparedStatement q = db.prepareStatement("SELECT * FROM (SELECT " + INBOX_COLUMNS
                + " FROM inbox ORDER BY id DESC LIMIT ?) ORDER BY id")) {
            q.setInt(1, limit);
            return inboxRows(q);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read the local inbox", e);
        }
    }

    private static List<InboxRow> inboxRows(PreparedStatement q) throws SQLException {
        List<InboxRow> out = new ArrayList<>();
        try (ResultSet rs = q.executeQuery()) {
            while (rs.next()) {
                out.add(new InboxRow(rs.getLong(1), rs.getLong(2), rs.getLong(3), rs.getString(4), rs.getString(5),
                        rs.getString(6), rs.getInt(7) != 0, rs.getLong(8), rs.getString(9)));
            }
        }
        return out;
    }

    @Override
    public synchronized long marker(String name) {
        try (PreparedStatement q = db.prepareStatement("SELECT id FROM inbox_markers WHERE name = ?")) {
            q.setString(1, name);
            try (ResultSet rs = q.executeQuery()) {
                return rs.next() ? rs.getLong(1) : 0;
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read marker " + name, e);
        }
    }

    @Override
    public synchronized void mark(String name, long id) {
        try (PreparedStatement u = db.prepareStatement("INSERT INTO inbox_markers (name, id) VALUES (?, ?)"
                + " ON CONFLICT(name) DO UPDATE SET id = max(id, excluded.id)")) {
            u.setString(1, name);
            u.setLong(2, id);
            u.executeUpdate();
        } catch (SQLException e) {
            throw new IllegalStateException("cannot store marker " + name, e);
        }
    }

    @Override
    public synchronized int messagesFromOthersAfter(long id) {
        try (PreparedStatement q = db.prepareStatement(
                "SELECT COUNT(*) FROM inbox WHERE id > ? AND kind = 'message' AND own = 0")) {
            q.setLong(1, id);
            try (ResultSet rs = q.executeQuery()) {
                return rs.next() ? rs.getInt(1) : 0;
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot count unread messages", e);
        }
    }

    @Override
    public synchronized long lastIdAtOrBelow(long seq) {
        try (PreparedStatement q = db.prepareStatement("SELECT MAX(id) FROM inbox WHERE seq <= ?")) {
            q.setLong(1, seq);
            try (ResultSet rs = q.executeQuery()) {
                return rs.next() ? rs.getLong(1) : 0;
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read the local inbox", e);
        }
    }

    @Override
    public synchronized void close() {
        try {
            db.close();
        } catch (SQLException e) {
            // closing anyway
        }
        try {
            lock.release();
            lockChannel.close();
        } catch (IOException e) {
            // closing anyway
        }
    }

    private static OutboxMessage row(ResultSet rs) throws SQLException {
        return new OutboxMessage(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getLong(5));
    }

    /** Database work that either all happens or none of it. */
    private interface Work<T> {
        T run() throws SQLException;
    }

    /** Runs {@code work} in one transaction; a failure rolls it back and is thrown as {@code failure}. */
    private <T> T inTransaction(String failure, Work<T> work) {
        try {
            db.setAutoCommit(false);
            try {
                T result = work.run();
                db.commit();
                return result;
            } catch (SQLException | RuntimeException e) {
                db.rollback();
                throw e;
            } finally {
                db.setAutoCommit(true);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(failure, e);
        }
    }
}
