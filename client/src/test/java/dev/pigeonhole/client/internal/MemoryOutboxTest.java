package dev.pigeonhole.client.internal;

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
