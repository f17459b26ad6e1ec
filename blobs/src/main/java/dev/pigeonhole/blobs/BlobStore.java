package dev.pigeonhole.blobs;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Content-addressed blob storage with resumable uploads, shared by every gateway pod (all state lives in the
 * backing store, none in the instance: an upload started on one pod can be resumed on another, or after a restart).
 *
 * <p><b>Uploads.</b> {@link #create} declares length and SHA-256; {@link #append} adds bytes at the upload's current
 * offset (any number of bytes, streamed: memory use does not depend on their count); {@link #finish} verifies length
 * and hash and makes the blob. Bytes received before a failure of the input stream are kept (the offset moves past
 * them) so a client resumes where the network dropped it. Every upload operation names the owner: another user's
 * upload id is {@link BlobError#UPLOAD_NOT_FOUND}, as if it did not exist.
 *
 * <p><b>Dedup and possession.</b> A blob is stored once however many users upload it; each user who completed an
 * upload of it gets an owner mark ({@link #isOwner}). Knowing a hash grants nothing: a mark is only made by a
 * finished upload of the bytes themselves.
 *
 * <p><b>Concurrency.</b> Methods are thread-safe. Two appends racing on one upload (a client retrying while its old
 * request still runs, perhaps on another pod) cannot corrupt it: the offset is the end of the contiguous bytes
 * received, and the hash check at finish catches any disagreement.
 *
 * <p>{@code IOException} means the backend failed (retry later); {@link BlobException} means the request was refused.
 */
public interface BlobStore extends Closeable {

    /** Starts an upload; returns its state (offset 0) with a new random id. */
    UploadInfo create(NewUpload upload) throws IOException;

    /** The owner's upload, if it exists. */
    Optional<UploadInfo> upload(String owner, String id) throws IOException;

    /** The owner's uploads, open and finished, oldest first. */
    List<UploadInfo> uploads(String owner) throws IOException;

    /**
     * Appends the bytes of {@code data} (read to its end) at {@code offset}, which must be the upload's current
     * offset.
     *
     * @return the new offset
     * @throws BlobException {@link BlobError#UPLOAD_NOT_FOUND}; {@link BlobError#OFFSET_MISMATCH} (carrying the current
     *                       offset; nothing read); {@link BlobError#UPLOAD_OVERFLOW} when the bytes run past the
     *                       declared length (none of this append kept)
     * @throws IOException   the backend failed, or {@code data} did: the bytes read before are kept
     */
    long append(String owner, String id, long offset, InputStream data) throws BlobException, IOException;

    /**
     * Verifies that all declared bytes arrived and hash to the declared SHA-256, stores the blob (once: if it exists
     * the bytes are only hashed) and marks the owner. Finishing a finished upload returns the same result.
     *
     * @throws BlobException {@link BlobError#UPLOAD_INCOMPLETE} (upload kept); {@link BlobError#CHECKSUM_MISMATCH}
     *                       (upload discarded); {@link BlobError#UPLOAD_NOT_FOUND}
     */
    UploadInfo finish(String owner, String id) throws BlobException, IOException;

    /** Deletes the owner's upload and its bytes; false when there was none. Never deletes a finished blob. */
    boolean abandon(String owner, String id) throws IOException;

    /** The blob, if stored. */
    Optional<BlobInfo> blob(BlobRef ref) throws IOException;

    /**
     * The blob's bytes in {@code range} (streamed; the caller closes it).
     *
     * @throws BlobException {@link BlobError#BLOB_NOT_FOUND}, {@link BlobError#RANGE_NOT_SATISFIABLE}
     */
    InputStream read(BlobRef ref, ByteRange range) throws BlobException, IOException;

    /** True when {@code user} completed an upload of this blob. */
    boolean isOwner(BlobRef ref, String user) throws IOException;

    /** Users who completed an upload of this blob. */
    Set<String> owners(BlobRef ref) throws IOException;

    /**
     * Lets {@code user} download the blob: a recipient of a message that references it (the gateway records one at
     * every accepted send). {@code mediaType} is what a download answers as {@code Content-Type}. Granting again
     * renews the grant's time, which the collector reads ({@link #marks}).
     */
    void grant(BlobRef ref, String user, String mediaType) throws IOException;

    /**
     * The media type to serve the blob with when {@code user} may read it (an owner mark or a grant), else empty.
     * Says nothing about whether the blob itself is still stored.
     */
    Optional<String> access(BlobRef ref, String user) throws IOException;

    /** When the newest owner mark and the newest grant of the blob were made (null: none). */
    record Marks(java.time.Instant lastOwned, java.time.Instant lastGranted) {}

    Marks marks(BlobRef ref) throws IOException;

    /** Every stored blob, oldest first (the collector's input). */
    List<BlobInfo> blobs() throws IOException;

    /** Every upload of every user, oldest first (the collector removes stale ones with {@link #abandon}). */
    List<UploadInfo> uploads() throws IOException;

    /** Deletes the blob, its owner marks and its grants; false when it was not stored. */
    boolean delete(BlobRef ref) throws IOException;

    @Override
    default void close() throws IOException {
    }
}
