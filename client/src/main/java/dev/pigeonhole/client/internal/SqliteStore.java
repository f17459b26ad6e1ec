package dev.pigeonhole.client.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
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
 * Outbox and cursor in one SQLite database in the data directory ({@code pigeonhole.db}), in WAL mode with
 * {@code synchronous=FULL}: a message is on disk when {@link #add} returns, so it survives a killed process and a
 * power loss. A lock file keeps a second client from using the same directory.
 */
public final class SqliteStore implements Outbox, CursorStore {
    private final Connection db;
    private final FileChannel lockChannel;
    private final FileLock lock;

    public SqliteStore(Path dataDir) {
        try {
            Files.createDirectories(dataDir);
            lockChannel = FileChannel.open(dataDir.resolve("pigeonhole.lock"), StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE);
            FileLock acquired;
            try {
                acquired = lockChannel.tryLock();
            } catch (java.nio.channels.OverlappingFileLockException sameProcess) {
                acquired = null;
            }
            lock = acquired;
            if (lock == null) {
                lockChannel.close();
                throw new IllegalStateException("data directory " + dataDir + " is used by another client");
            }
            db = DriverManager.getConnection("jdbc:sqlite:" + dataDir.resolve("pigeonhole.db"));
            try (Statement s = db.createStatement()) {
                s.execute("PRAGMA journal_mode=WAL");
                s.execute("PRAGMA synchronous=FULL");
                s.execute("CREATE TABLE IF NOT EXISTS outbox (position INTEGER PRIMARY KEY AUTOINCREMENT,"
                        + " id TEXT NOT NULL UNIQUE, recipient TEXT NOT NULL, body TEXT NOT NULL, created_at INTEGER NOT NULL)");
                s.execute("CREATE TABLE IF NOT EXISTS cursor (k INTEGER PRIMARY KEY CHECK (k = 0),"
                        + " seq INTEGER NOT NULL, epoch INTEGER NOT NULL)");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot open the client database in " + dataDir, e);
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
        try (PreparedStatement d = db.prepareStatement("DELETE FROM outbox WHERE id = ?")) {
            d.setString(1, id);
            d.executeUpdate();
        } catch (SQLException e) {
            throw new IllegalStateException("cannot remove message " + id, e);
        }
    }

    @Override
    public synchronized void removeAll(java.util.Collection<String> ids) {
        if (ids.isEmpty()) {
            return;
        }
        try {
            db.setAutoCommit(false);
            try (PreparedStatement d = db.prepareStatement("DELETE FROM outbox WHERE id = ?")) {
                for (String id : ids) {
                    d.setString(1, id);
                    d.addBatch();
                }
                d.executeBatch();
                db.commit();
            } catch (SQLException e) {
                db.rollback();
                throw e;
            } finally {
                db.setAutoCommit(true);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot remove accepted messages", e);
        }
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
        try (PreparedStatement u = db.prepareStatement("INSERT INTO cursor (k, seq, epoch) VALUES (0, ?, ?)"
                + " ON CONFLICT(k) DO UPDATE SET seq = excluded.seq, epoch = excluded.epoch")) {
            u.setLong(1, cursor.seq());
            u.setLong(2, cursor.epoch());
            u.executeUpdate();
        } catch (SQLException e) {
            throw new IllegalStateException("cannot store the cursor", e);
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
}
