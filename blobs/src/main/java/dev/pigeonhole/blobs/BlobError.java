package dev.pigeonhole.blobs;

/** Why a store refused a request; {@link #wire()} is the stable code clients see (docs/protocol.md, Uploads). */
public enum BlobError {
    /** No such upload for this owner (or it was abandoned, or discarded after a failed check). */
    UPLOAD_NOT_FOUND("upload_not_found"),
    /** The append named an offset other than the upload's current one; ask for the offset and resume from it. */
    OFFSET_MISMATCH("offset_mismatch"),
    /** The bytes would run past the declared length; nothing of that append was kept. */
    UPLOAD_OVERFLOW("upload_overflow"),
    /** Finish before all declared bytes arrived. */
    UPLOAD_INCOMPLETE("upload_incomplete"),
    /** The bytes do not hash to the declared SHA-256: the upload was discarded. */
    CHECKSUM_MISMATCH("checksum_mismatch"),
    /** No such blob. */
    BLOB_NOT_FOUND("blob_not_found"),
    /** The requested byte range lies outside the blob. */
    RANGE_NOT_SATISFIABLE("range_not_satisfiable");

    private final String wire;

    BlobError(String wire) {
        this.wire = wire;
    }

    public String wire() {
        return wire;
    }
}
