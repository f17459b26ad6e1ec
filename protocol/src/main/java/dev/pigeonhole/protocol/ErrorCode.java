package dev.pigeonhole.protocol;

import com.fasterxml.jackson.annotation.JsonValue;

/**
 * Stable error codes carried by {@code rejected} and {@code error} frames (and HTTP error bodies).
 * The wire value never changes once released; {@link #retryable()} tells a client whether sending the
 * same frame again later can succeed. docs/protocol.md lists the same catalog.
 */
public enum ErrorCode {
    /** The frame is not a JSON object. */
    MALFORMED_JSON("malformed_json", false),
    /** {@code type} is missing or not a frame this endpoint accepts. */
    UNKNOWN_TYPE("unknown_type", false),
    /** A field is missing, has the wrong JSON type or an invalid value; the message names it. */
    INVALID_FIELD("invalid_field", false),
    /** The body is larger than the configured limit. */
    TOO_LARGE("too_large", false),
    /** The caller may not do this: send to a group it is invited to but has not joined, change a group it does not administer. */
    FORBIDDEN("forbidden", false),
    /** The group (or member) named does not exist, or the caller may not see it (the same answer: no existence oracle). */
    NOT_FOUND("not_found", false),
    /** The group to create already exists. */
    CONFLICT("conflict", false),
    /** A shadow update or delete named a {@code version} that is not the shadow's current one. */
    VERSION_CONFLICT("version_conflict", false),
    /** An {@code ack} names a sequence number this connection has not delivered. */
    INVALID_ACK("invalid_ack", false),
    /** An upload's {@code PATCH} named an offset other than the upload's current one: ask with {@code HEAD}, resume there. */
    OFFSET_MISMATCH("offset_mismatch", false),
    /** The bytes of a {@code PATCH} would run past the upload's declared length; none of them were kept. */
    UPLOAD_OVERFLOW("upload_overflow", false),
    /** The uploaded bytes do not hash to the declared SHA-256; the upload was discarded. */
    CHECKSUM_MISMATCH("checksum_mismatch", false),
    /** The user has as many unfinished uploads as allowed: finish or delete one first. */
    TOO_MANY_UPLOADS("too_many_uploads", false),
    /** A send's attachment is not a finished upload of its sender, or its size is not the blob's. */
    INVALID_ATTACHMENT("invalid_attachment", false),
    /** The user's finished blobs (plus the upload asked for) would pass their byte quota. */
    QUOTA_EXCEEDED("quota_exceeded", false),
    /** No identity, or one this server does not accept (HTTP endpoints; sockets close with 4100 instead). */
    UNAUTHORIZED("unauthorized", false),
    /** Too many sends: wait {@code retryAfterMs} and send it again. */
    RATE_LIMITED("rate_limited", true),
    /** Kafka did not acknowledge the write in time; nothing was accepted, send it again. */
    UNAVAILABLE("unavailable", true),
    /** Unexpected server failure; nothing was accepted, send it again. */
    INTERNAL("internal", true);

    private final String wire;
    private final boolean retryable;

    ErrorCode(String wire, boolean retryable) {
        this.wire = wire;
        this.retryable = retryable;
    }

    @JsonValue
    public String wire() {
        return wire;
    }

    public boolean retryable() {
        return retryable;
    }

    public static ErrorCode fromWire(String wire) {
        for (ErrorCode c : values()) {
            if (c.wire.equals(wire)) {
                return c;
            }
        }
        throw new IllegalArgumentException("unknown error code " + wire);
    }
}
