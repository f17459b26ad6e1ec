package dev.pigeonhole.client.spi;

import java.util.List;

/**
 * Messages waiting for the server's {@code accepted}. Implementations are thread-safe.
 *
 * <p>Contract (checked by {@code OutboxContractTest} for every implementation):
 * <ul>
 *   <li>{@link #add} returns only once the message is stored as durably as the implementation can (on disk for
 *       SQLite); a message added with an id already present is not added again (the stored one is returned);</li>
 *   <li>{@link #pending} lists messages in the order they were first added;</li>
 *   <li>{@link #remove} deletes messages by id and is idempotent;</li>
 *   <li>a durable implementation reopened on the same storage has the same pending messages.</li>
 * </ul>
 */
public interface Outbox extends AutoCloseable {
    OutboxMessage add(String id, String to, String body, long createdAt);

    List<OutboxMessage> pending();

    void remove(String id);

    /** Removes several messages at once (one transaction where the storage has them). */
    default void removeAll(java.util.Collection<String> ids) {
        ids.forEach(this::remove);
    }

    @Override
    void close();
}
