package dev.pigeonhole.client.spi;

import dev.pigeonhole.client.internal.MemoryStore;

class MemoryShadowOutboxTest extends ShadowOutboxContractTest {
    @Override
    protected ShadowOutbox open() {
        return new MemoryStore();
    }

    @Override
    protected ShadowOutbox reopen() {
        return null;
    }

    @Override
    protected void close(ShadowOutbox store) {
        ((MemoryStore) store).close();
    }
}
