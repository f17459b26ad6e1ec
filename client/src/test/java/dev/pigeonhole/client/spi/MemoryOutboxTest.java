package dev.pigeonhole.client.spi;

import dev.pigeonhole.client.internal.MemoryStore;

class MemoryOutboxTest extends OutboxContractTest {
    @Override
    protected Outbox open() {
        return new MemoryStore();
    }

    @Override
    protected Outbox reopen() {
        return null;
    }
}
