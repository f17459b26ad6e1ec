package dev.pigeonhole.gateway.uploads;

import dev.pigeonhole.blobs.BlobError;
import dev.pigeonhole.blobs.BlobException;
import dev.pigeonhole.blobs.BlobRef;
import dev.pigeonhole.blobs.BlobStore;
import dev.pigeonhole.blobs.NewUpload;
import dev.pigeonhole.blobs.UploadInfo;
import dev.pigeonhole.protocol.ErrorCode;
import dev.pigeonhole.protocol.Identity;
import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import org.jboss.logging.Logger;

/**
 * The resumable upload API (tus 1.0 core + creation + termination; docs/protocol.md, Uploads) as plain calls: the
 * route maps HTTP to them and their {@link Reply} back. An upload finishes by itself when a {@code PATCH} brings its
 * offset to the declared length; the answer then carries the blob reference.
 */
final class Uploads {
    private static final Logger LOG = Logger.getLogger(Uploads.class);
    static final String PATH = "/v1/uploads";
    static final String BLOB_HEADER = "Pigeonhole-Blob";
    private static final Pattern MEDIA_TYPE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}");
    private static final Pattern HEX = Pattern.compile("[0-9a-fA-F]{64}");

    /** The user's request budget: 0 when granted, else milliseconds to wait. */
    interface Budget {
        long take(String user);
    }

    private final BlobStore store;
    private final long maxBlobBytes;
    private final int maxOpenUploads;
    private final long quotaBytes;
    private final Budget budget;
    private final Duration uploadTimeout;
    private final Clock clock;

    Uploads(BlobStore store, long maxBlobBytes, int maxOpenUploads, Budget budget, Duration uploadTimeout, Clock clock) {
        this(store, maxBlobBytes, maxOpenUploads, Long.MAX_VALUE, budget, uploadTimeout, clock);
    }

    Uploads(BlobStore store, long maxBlobBytes, int maxOpenUploads, long quotaBytes, Budget budget,
            Duration uploadTimeout, Clock clock) {
        this.quotaBytes = quotaBytes;
        this.store = store;
        this.maxBlobBytes = maxBlobBytes;
        this.maxOpenUploads = maxOpenUploads;
        this.budget = budget;
        this.uploadTimeout = uploadTimeout;
        this.clock = clock;
    }

    /** {@code OPTIONS}: what this server supports (tus discovery; no identity needed). */
    Reply options() {
        return Reply.ok(204).header("Tus-Version", TusHeaders.VERSION).header("Tus-Extension", "creation,termination")
                .header("Tus-Max-Size", maxBlobBytes);
    }

    /** {@code POST /v1/uploads}. */
    Reply create(Identity who, String uploadLength, String uploadMetadata, long contentLength) throws IOException {
        long length;
        Map<String, String> meta;
        try {
            length = TusHeaders.nonNegative("Upload-Length", uploadLength);
            meta = TusHeaders.metadata(uploadMetadata);
        } catch (TusHeaders.Invalid e) {
            return Reply.error(400, ErrorCode.INVALID_FIELD, e.getMessage());
        }
        if (contentLength > 0) {
            return Reply.error(400, ErrorCode.INVALID_FIELD, "creation takes no body: send the bytes with PATCH");
        }
        if (length > maxBlobBytes) {
            return Reply.error(413, ErrorCode.TOO_LARGE, "a blob may have at most " + maxBlobBytes + " bytes");
        }
        String sha = meta.get("sha256");
        if (sha == null || !HEX.matcher(sha).matches()) {
            return Reply.error(400, ErrorCode.INVALID_FIELD,
                    "Upload-Metadata needs sha256: the file's SHA-256 as 64 hex digits (base64-encoded as tus requires)");
        }
        String type = meta.getOrDefault("filetype", "application/octet-stream");
        if (!MEDIA_TYPE.matcher(type).matches()) {
            return Reply.error(400, ErrorCode.INVALID_FIELD, "filetype must be a media type such as image/jpeg");
        }
        String name = meta.get("filename");
        if (name != null && (name.isEmpty() || name.length() > 255 || name.chars().anyMatch(c -> c < 0x20 || c == 0x7f))) {
            return Reply.error(400, ErrorCode.INVALID_FIELD, "filename must have 1 to 255 characters, none a control character");
        }
        Reply limited = rateLimited(who);
        if (limited != null) {
            return limited;
        }
        Instant stale = clock.instant().minus(uploadTimeout);
        java.util.List<UploadInfo> mine = store.uploads(who.user());
        long open = mine.stream().filter(u -> !u.complete() && u.updatedAt().isAfter(stale)).count();
        if (open >= maxOpenUploads) {
            return Reply.error(429, ErrorCode.TOO_MANY_UPLOADS,
                    "at most " + maxOpenUploads + " unfinished uploads: finish or delete one first");
        }
        long used = used(mine, stale);
        if (used + length > quotaBytes) {
            return Reply.error(413, ErrorCode.QUOTA_EXCEEDED, "this upload would bring your blobs to " + (used + length)
                    + " bytes; the quota is " + quotaBytes + " (blobs are removed after the messages that use them)");
        }
        UploadInfo up = store.create(new NewUpload(who.user(), length, BlobRef.parse(sha.toLowerCase()), type, name));
        Reply created = Reply.ok(201).header("Location", PATH + "/" + up.id()).header("Upload-Offset", 0);
        return length == 0 ? finish(who, up.id(), created) : created;
    }

    /** Bytes counted against the quota: each finished blob once, and the declared length of each live open upload. */
    private static long used(java.util.List<UploadInfo> uploads, Instant stale) {
        long sum = 0;
        java.util.Set<BlobRef> seen = new java.util.HashSet<>();
        for (UploadInfo u : uploads) {
            if (u.complete() ? seen.add(u.blob().get()) : u.updatedAt().isAfter(stale)) {
                sum += u.length();
            }
        }
        return sum;
    }

    /** {@code HEAD /v1/uploads/{id}}. */
    Reply head(Identity who, String id) throws IOException {
        Optional<UploadInfo> up = store.upload(who.user(), id);
        if (up.isEmpty()) {
            return notFound();
        }
        Reply reply = Reply.ok(200).header("Upload-Offset", up.get().offset()).header("Upload-Length", up.get().length())
                .header("Cache-Control", "no-store");
        up.get().blob().ifPresent(ref -> reply.header(BLOB_HEADER, ref));
        return reply;
    }

    /** {@code PATCH /v1/uploads/{id}}: {@code body} is read to its end unless the request is refused first. */
    Reply patch(Identity who, String id, String contentType, String uploadOffset, long contentLength, InputStream body)
            throws IOException {
        if (contentType == null || !contentType.trim().equalsIgnoreCase(TusHeaders.OFFSET_CONTENT_TYPE)) {
            return Reply.error(415, ErrorCode.INVALID_FIELD, "Content-Type must be " + TusHeaders.OFFSET_CONTENT_TYPE);
        }
        long offset;
        try {
            offset = TusHeaders.nonNegative("Upload-Offset", uploadOffset);
        } catch (TusHeaders.Invalid e) {
            return Reply.error(400, ErrorCode.INVALID_FIELD, e.getMessage());
        }
        Reply limited = rateLimited(who);
        if (limited != null) {
            return limited;
        }
        Optional<UploadInfo> found = store.upload(who.user(), id);
        if (found.isEmpty()) {
            return notFound();
        }
        UploadInfo up = found.get();
        if (offset != up.offset()) {
            return mismatch(up.offset());
        }
        if (up.complete()) {
            return done(Reply.ok(204), up);
        }
        if (contentLength >= 0 && offset + contentLength > up.length()) {
            return Reply.error(413, ErrorCode.UPLOAD_OVERFLOW, "the upload has " + up.length() + " bytes; "
                    + offset + " + " + contentLength + " is past its end");
        }
        long now;
        try {
            now = store.append(who.user(), id, offset, body);
        } catch (BlobException e) {
            return refused(e);
        }
        Reply reply = Reply.ok(204).header("Upload-Offset", now);
        return now == up.length() ? finish(who, id, reply) : reply;
    }

    /** {@code DELETE /v1/uploads/{id}}: abandons it (tus termination). */
    Reply delete(Identity who, String id) throws IOException {
        return store.abandon(who.user(), id) ? Reply.ok(204) : notFound();
    }

    private Reply finish(Identity who, String id, Reply success) throws IOException {
        try {
            return done(success, store.finish(who.user(), id));
        } catch (BlobException e) {
            if (e.error() == BlobError.CHECKSUM_MISMATCH) {
                LOG.debugf("upload %s of %s discarded: checksum mismatch", id, who.user());
            }
            return refused(e);
        }
    }

    private static Reply done(Reply reply, UploadInfo up) {
        return reply.header("Upload-Offset", up.length()).header(BLOB_HEADER, up.blob().orElseThrow());
    }

    private Reply rateLimited(Identity who) {
        long wait = budget.take(who.user());
        if (wait == 0) {
            return null;
        }
        return new Reply(429, new java.util.LinkedHashMap<>(), ErrorCode.RATE_LIMITED, "too many upload requests", wait)
                .header("Retry-After", (wait + 999) / 1000);
    }

    private static Reply notFound() {
        return Reply.error(404, ErrorCode.NOT_FOUND, "no such upload");
    }

    private static Reply mismatch(long current) {
        return Reply.error(409, ErrorCode.OFFSET_MISMATCH, "the upload's offset is " + current + "; resume from there")
                .header("Upload-Offset", current);
    }

    private static Reply refused(BlobException e) {
        return switch (e.error()) {
            case OFFSET_MISMATCH -> mismatch(e.offset());
            case UPLOAD_OVERFLOW -> Reply.error(413, ErrorCode.UPLOAD_OVERFLOW, e.getMessage());
            case CHECKSUM_MISMATCH -> Reply.error(422, ErrorCode.CHECKSUM_MISMATCH, e.getMessage());
            case UPLOAD_NOT_FOUND -> notFound();
            default -> Reply.error(400, ErrorCode.INVALID_FIELD, e.getMessage());
        };
    }
}
