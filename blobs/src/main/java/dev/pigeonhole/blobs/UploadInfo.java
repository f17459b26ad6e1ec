package dev.pigeonhole.blobs;

import java.time.Instant;
import java.util.Optional;

/**
 * The state of an upload as the store holds it.
 *
 * @param offset    bytes received so far, contiguous from 0 (the tus {@code Upload-Offset})
 * @param createdAt when it was created (store clock)
 * @param updatedAt the last time bytes arrived, or {@code createdAt}
 * @param blob      present once finished: the verified blob; the record stays so a client that lost the answer to
 *                  its last request can still learn the outcome, until the collector removes it
 */
public record UploadInfo(String id, NewUpload declared, long offset, Instant createdAt, Instant updatedAt,
                         Optional<BlobRef> blob) {
    public String owner() {
        return declared.owner();
    }

    public long length() {
        return declared.length();
    }

    public boolean complete() {
        return blob.isPresent();
    }
}
