package dev.pigeonhole.client.spi;

/**
 * One attachment of an outbox message, as stored ({@link Uploads}).
 *
 * @param index     its place in the message's {@code attachments} (0, 1, …)
 * @param file      the path the client uploads from (its copy in the data directory)
 * @param sha256    64 lowercase hex digits
 * @param uploadUrl the tus upload's URL once created, else null
 * @param ref       {@code sha256:<hex>} once the upload finished, else null
 */
public record PendingUpload(String messageId, int index, String file, long size, String sha256, String type,
                            String name, String preview, String uploadUrl, String ref) {
    public boolean finished() {
        return ref != null;
    }
}
