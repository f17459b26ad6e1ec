package dev.pigeonhole.blobs;

/** A refusal by the store for a reason of the request (not of the backend, which throws {@code IOException}). */
public final class BlobException extends Exception {
    private final BlobError error;
    private final long offset;

    public BlobException(BlobError error, String message) {
        this(error, message, -1);
    }

    /** @param offset the upload's current offset, for {@link BlobError#OFFSET_MISMATCH}; else -1 */
    public BlobException(BlobError error, String message, long offset) {
        super(message);
        this.error = error;
        this.offset = offset;
    }

    public BlobError error() {
        return error;
    }

    /** The upload's current offset when known, else -1. */
    public long offset() {
        return offset;
    }
}
