package dev.pigeonhole.client.spi;

import dev.pigeonhole.client.internal.MemoryStore;

class MemoryInboxStoreTest extends InboxStoreContractTest {
    @Override
    protected InboxStore open() {
        return new MemoryStore();
    }

    @Override
    protected InboxStore reopen() {
        return null;
    }

    @Override
    protected void close(InboxStore s) {
    }
}
