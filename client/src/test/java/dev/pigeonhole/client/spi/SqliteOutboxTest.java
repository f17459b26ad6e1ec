package dev.pigeonhole.client.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pigeonhole.client.internal.SqliteStore;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SqliteOutboxTest extends OutboxContractTest {
    @TempDir
    Path dir;

    @Override
    protected Outbox open() {
        return new SqliteStore(dir);
    }

    @Override
    protected Outbox reopen() {
        outbox.close();
        return new SqliteStore(dir);
    }

    @Test
    void theCursorSurvivesReopen() {
        SqliteStore store = (SqliteStore) outbox;
        assertThat(store.load()).isEqualTo(Cursor.START);
        store.save(new Cursor(41, 7));
        store.save(new Cursor(42, 7));
        SqliteStore reopened = (SqliteStore) reopen();
        outbox = reopened;
        assertThat(reopened.load()).isEqualTo(new Cursor(42, 7));
    }

    @Test
    void aSecondClientCannotOpenTheSameDirectory() {
        assertThatThrownBy(() -> new SqliteStore(dir)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("used by another client");
    }
}
