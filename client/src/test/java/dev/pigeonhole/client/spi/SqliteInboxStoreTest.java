package dev.pigeonhole.client.spi;

import dev.pigeonhole.client.internal.SqliteStore;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

class SqliteInboxStoreTest extends InboxStoreContractTest {
    @TempDir
    Path dir;

    @Override
    protected InboxStore open() {
        return new SqliteStore(dir);
    }

    @Override
    protected InboxStore reopen() {
        ((SqliteStore) store).close();
        return new SqliteStore(dir);
    }

    @Override
    protected void close(InboxStore s) {
        ((SqliteStore) s).close();
    }
}
