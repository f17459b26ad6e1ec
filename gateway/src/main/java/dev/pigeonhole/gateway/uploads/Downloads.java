package dev.pigeonhole.gateway.uploads;

import dev.pigeonhole.blobs.BlobError;
import dev.pigeonhole.blobs.BlobException;
import dev.pigeonhole.blobs.BlobInfo;
import dev.pigeonhole.blobs.BlobRef;
import dev.pigeonhole.blobs.BlobStore;
import dev.pigeonhole.blobs.ByteRange;
import dev.pigeonhole.protocol.ErrorCode;
import dev.pigeonhole.protocol.Identity;
import java.io.IOException;
import java.util.Optional;

/**
 * {@code GET}/{@code HEAD /v1/blobs/{ref}} as a plain call (docs/protocol.md, Downloads): who may read, which bytes,
 * which headers. The route streams the bytes. Anyone without an owner mark or a grant gets the same 404 as for a
 * blob that does not exist.
 */
final class Downloads {
    static final String PATH = "/v1/blobs";

    /** The answer: a reply, and for a 200/206 the bytes {@code [start, start + length)} of {@code ref}. */
    record Download(Reply reply, BlobRef ref, long start, long length) {
        boolean hasBody() {
            return reply.code() == null && (reply.status() == 200 || reply.status() == 206);
        }
    }

    private final BlobStore store;

    Downloads(BlobStore store) {
        this.store = store;
    }

    Download plan(Identity who, String refText, String range, String ifRange, String ifNoneMatch) throws IOException {
        BlobRef ref;
        try {
            ref = BlobRef.parse(refText.replace("%3A", ":").replace("%3a", ":"));
        } catch (IllegalArgumentException e) {
            return notFound();
        }
        Optional<String> type = store.access(ref, who.user());
        Optional<BlobInfo> blob = type.isEmpty() ? Optional.empty() : store.blob(ref);
        if (blob.isEmpty()) {
            return notFound();
        }
        long size = blob.get().size();
        String etag = "\"" + ref + "\"";
        if (ifNoneMatch != null && (ifNoneMatch.trim().equals("*") || ifNoneMatch.contains(etag))) {
            return new Download(headers(Reply.ok(304), etag, type.get()), ref, 0, 0);
        }
        ByteRange wanted = parseRange(range, ifRange, etag);
        if (wanted == null) {
            return new Download(headers(Reply.ok(200), etag, type.get()).header("Content-Length", size), ref, 0, size);
        }
        long[] span;
        try {
            span = wanted.resolve(size);
        } catch (BlobException e) {
            if (e.error() != BlobError.RANGE_NOT_SATISFIABLE) {
                throw new IllegalStateException(e);
            }
            return new Download(Reply.error(416, ErrorCode.INVALID_FIELD, "the blob has " + size + " bytes")
                    .header("Content-Range", "bytes */" + size).header("Accept-Ranges", "bytes"), ref, 0, 0);
        }
        long length = span[1] - span[0] + 1;
        return new Download(headers(Reply.ok(206), etag, type.get()).header("Content-Length", length)
                .header("Content-Range", "bytes " + span[0] + "-" + span[1] + "/" + size), ref, span[0], length);
    }

    /**
     * The single range asked for, or null for the whole blob: no {@code Range}, one this server does not parse
     * (several ranges, another unit: HTTP says to ignore it), or an {@code If-Range} that is not this blob's ETag.
     */
    static ByteRange parseRange(String range, String ifRange, String etag) {
        if (range == null || (ifRange != null && !ifRange.trim().equals(etag))) {
            return null;
        }
        try {
            return ByteRange.parse(range.trim());
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static Reply headers(Reply reply, String etag, String type) {
        // immutable content, but only for this user: no shared cache may keep it. The type is the uploader's word:
        // a blob declared text/html must not run script on this origin when opened with ?access_token= in a browser
        return reply.header("ETag", etag).header("Accept-Ranges", "bytes").header("Content-Type", type)
                .header("Cache-Control", "private, max-age=31536000, immutable")
                .header("X-Content-Type-Options", "nosniff")
                .header("Content-Security-Policy", "default-src 'none'; sandbox");
    }

    private static Download notFound() {
        return new Download(Reply.error(404, ErrorCode.NOT_FOUND, "no such blob"), null, 0, 0);
    }
}
