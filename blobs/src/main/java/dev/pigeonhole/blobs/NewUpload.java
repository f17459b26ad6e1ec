package dev.pigeonhole.blobs;

/**
 * What a client declares when it starts an upload.
 *
 * @param owner     the authenticated user; only they can see, append to, finish or abandon it
 * @param length    the exact number of bytes that will be sent (0 allowed)
 * @param sha256    the SHA-256 the bytes must hash to
 * @param mediaType e.g. {@code image/jpeg}; kept for the message that will reference the blob
 * @param fileName  optional (null), kept the same way
 */
public record NewUpload(String owner, long length, BlobRef sha256, String mediaType, String fileName) {
    public NewUpload {
        if (owner == null || owner.isEmpty()) {
            throw new IllegalArgumentException("owner required");
        }
        if (length < 0) {
            throw new IllegalArgumentException("length must be >= 0");
        }
        if (sha256 == null) {
            throw new IllegalArgumentException("sha256 required");
        }
    }
}
