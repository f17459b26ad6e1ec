package dev.pigeonhole.client.spi;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pigeonhole.client.internal.SqliteStore;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SqliteShadowOutboxTest extends ShadowOutboxContractTest {
    @TempDir
    Path dir;

    @Override
    protected ShadowOutbox open() {
        return new SqliteStore(dir);
    }

    @Override
    protected ShadowOutbox reopen() {
        close(store);
        return new SqliteStore(dir);
    }

    @Override
    protected void close(ShadowOutbox store) {
        ((SqliteStore) store).close();
    }

    @Test
    void messagesShadowUpdatesAndTheCursorShareOneDatabase() {
        SqliteStore s = (SqliteStore) store;
        s.add("m-1", "bob", "{\"text\":\"hi\"}", 1);
        s.queueShadowUpdate("thermostat", "", "desired", "{\"t\":21}", null, 2, "t1");
        s.save(new Cursor(9, 3));
        s.remove("m-1");
        SqliteStore reopened = (SqliteStore) reopen();
        store = reopened;
        assertThat(reopened.pending()).isEmpty();
        assertThat(reopened.pendingShadowUpdates()).extracting(ShadowUpdate::clientToken).containsExactly("t1");
        assertThat(reopened.load()).isEqualTo(new Cursor(9, 3));
        assertThat(dir.resolve("pigeonhole.db")).exists();
    }
}
