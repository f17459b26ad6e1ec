package dev.pigeonhole.client;

/**
 * The client was closed: what fails a call made after {@link PigeonholeClient#close()} and every future that was
 * still waiting then — {@link Outgoing#settled()}, shadow requests, {@link PigeonholeClient#fetch}. Nothing queued is
 * lost: a message or shadow update still in the outbox stays there and the next client started on the same data
 * directory sends it (with the same id). Without a data directory the outbox is in memory and gone with the client.
 */
public final class ClientClosedException extends IllegalStateException {
    public ClientClosedException(String message) {
        super(message);
    }
}
