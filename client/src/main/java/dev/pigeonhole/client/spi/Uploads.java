package dev.pigeonhole.client.spi;

import java.util.List;

/**
 * The attachments of outbox messages and the state of their uploads. A store without it (these defaults) cannot
 * send attachments. Rows go when {@link Outbox#remove} removes their message.
 */
public interface Uploads {
    /** Adds the message and its attachments in one transaction (like {@link Outbox#add} otherwise). */
    default OutboxMessage addWithUploads(String id, String to, String body, long createdAt, List<PendingUpload> uploads) {
        throw new UnsupportedOperationException("this store keeps no attachments");
    }

    /** The message's attachments in index order; empty for none. */
    default List<PendingUpload> uploads(String messageId) {
        return List.of();
    }

    /** Records the tus upload's URL (null: forget it, the server lost it). */
    default void uploadCreated(String messageId, int index, String uploadUrl) {
        throw new UnsupportedOperationException("this store keeps no attachments");
    }

    /** Records the finished upload's blob reference. */
    default void uploadFinished(String messageId, int index, String ref) {
        throw new UnsupportedOperationException("this store keeps no attachments");
    }
}
