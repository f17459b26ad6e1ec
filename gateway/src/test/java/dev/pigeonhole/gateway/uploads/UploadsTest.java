package dev.pigeonhole.gateway.uploads;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pigeonhole.blobs.BlobRef;
import dev.pigeonhole.blobs.FileBlobStore;
import dev.pigeonhole.protocol.ErrorCode;
import dev.pigeonhole.protocol.Identity;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The upload API's rules and codes, on a real filesystem store (the route only maps HTTP to these calls). */
class UploadsTest {
    static final Identity ALICE = new Identity("alice", "phone");
    static final Identity MALLORY = new Identity("mallory", "laptop");
    static final String OCTETS = "application/offset+octet-stream";

    @TempDir
    java.nio.file.Path dir;
    FileBlobStore store;
    AtomicLong wait = new AtomicLong();
    Uploads uploads;

    @BeforeEach
    void setUp() throws IOException {
        store = new FileBlobStore(dir);
        uploads = new Uploads(store, 1000, 2, user -> wait.get(), Duration.ofDays(1), Clock.systemUTC());
    }

    @AfterEach
    void tearDown() throws IOException {
        store.close();
    }

    static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    static String hex(byte[] content) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
    }

    static String metadata(byte[] content) throws Exception {
        return "sha256 " + b64(hex(content)) + ",filetype " + b64("image/jpeg") + ",filename " + b64("cat.jpg");
    }

    String create(byte[] content) throws Exception {
        Reply created = uploads.create(ALICE, Long.toString(content.length), metadata(content), -1);
        assertThat(created.status()).isEqualTo(201);
        String location = created.headers().get("Location");
        assertThat(location).startsWith("/v1/uploads/");
        return location.substring("/v1/uploads/".length());
    }

    Reply patch(Identity who, String id, long offset, byte[] content, int from, int to) throws IOException {
        return uploads.patch(who, id, OCTETS, Long.toString(offset), to - from,
                new ByteArrayInputStream(content, from, to - from));
    }

    @Test
    void anUploadInChunksEndsWithTheBlobReference() throws Exception {
        byte[] content = "a photo of a cat".repeat(40).getBytes(StandardCharsets.UTF_8);
        String id = create(content);
        Reply first = patch(ALICE, id, 0, content, 0, 200);
        assertThat(first.status()).isEqualTo(204);
        assertThat(first.headers()).containsEntry("Upload-Offset", "200").doesNotContainKey(Uploads.BLOB_HEADER);

        Reply head = uploads.head(ALICE, id);
        assertThat(head.status()).isEqualTo(200);
        assertThat(head.headers()).containsEntry("Upload-Offset", "200").containsEntry("Upload-Length", "640")
                .containsEntry("Cache-Control", "no-store");

        Reply last = patch(ALICE, id, 200, content, 200, 640);
        assertThat(last.status()).isEqualTo(204);
        assertThat(last.headers()).containsEntry("Upload-Offset", "640")
                .containsEntry(Uploads.BLOB_HEADER, "sha256:" + hex(content));
        assertThat(store.isOwner(BlobRef.parse(hex(content)), "alice")).isTrue();

        // the answer to the last PATCH was lost: HEAD, or an empty PATCH at the end, tells the outcome again
        assertThat(uploads.head(ALICE, id).headers()).containsEntry(Uploads.BLOB_HEADER, "sha256:" + hex(content));
        Reply again = patch(ALICE, id, 640, new byte[0], 0, 0);
        assertThat(again.status()).isEqualTo(204);
        assertThat(again.headers()).containsEntry(Uploads.BLOB_HEADER, "sha256:" + hex(content));
    }

    @Test
    void aWrongOffsetIs409WithTheCurrentOffset() throws Exception {
        byte[] content = new byte[100];
        String id = create(content);
        patch(ALICE, id, 0, content, 0, 40);
        Reply reply = patch(ALICE, id, 50, content, 50, 100);
        assertThat(reply.status()).isEqualTo(409);
        assertThat(reply.code()).isEqualTo(ErrorCode.OFFSET_MISMATCH);
        assertThat(reply.headers()).containsEntry("Upload-Offset", "40");
    }

    @Test
    void anotherUsersUploadIs404ForEveryMethod() throws Exception {
        byte[] content = new byte[100];
        String id = create(content);
        assertThat(uploads.head(MALLORY, id).status()).isEqualTo(404);
        assertThat(patch(MALLORY, id, 0, content, 0, 100).code()).isEqualTo(ErrorCode.NOT_FOUND);
        assertThat(uploads.delete(MALLORY, id).status()).isEqualTo(404);
        assertThat(uploads.head(ALICE, id).headers()).containsEntry("Upload-Offset", "0");
    }

    @Test
    void badBytesAre422AndTheUploadIsGone() throws Exception {
        byte[] content = new byte[100];
        String id = create(content);
        byte[] other = new byte[100];
        other[7] = 1;
        Reply reply = patch(ALICE, id, 0, other, 0, 100);
        assertThat(reply.status()).isEqualTo(422);
        assertThat(reply.code()).isEqualTo(ErrorCode.CHECKSUM_MISMATCH);
        assertThat(uploads.head(ALICE, id).status()).isEqualTo(404);
    }

    @Test
    void bytesPastTheLengthAre413AndNoneKept() throws Exception {
        byte[] content = new byte[100];
        String id = create(content);
        assertThat(patch(ALICE, id, 0, new byte[101], 0, 101).code()).isEqualTo(ErrorCode.UPLOAD_OVERFLOW);
        // without Content-Length the store finds out while reading
        Reply streamed = uploads.patch(ALICE, id, OCTETS, "0", -1, new ByteArrayInputStream(new byte[101]));
        assertThat(streamed.status()).isEqualTo(413);
        assertThat(streamed.code()).isEqualTo(ErrorCode.UPLOAD_OVERFLOW);
        assertThat(uploads.head(ALICE, id).headers()).containsEntry("Upload-Offset", "0");
    }

    @Test
    void creationIsValidated() throws Exception {
        byte[] content = new byte[10];
        assertThat(uploads.create(ALICE, null, metadata(content), -1).code()).isEqualTo(ErrorCode.INVALID_FIELD);
        assertThat(uploads.create(ALICE, "-1", metadata(content), -1).code()).isEqualTo(ErrorCode.INVALID_FIELD);
        assertThat(uploads.create(ALICE, "1001", metadata(content), -1).status()).isEqualTo(413);
        assertThat(uploads.create(ALICE, "1001", metadata(content), -1).code()).isEqualTo(ErrorCode.TOO_LARGE);
        assertThat(uploads.create(ALICE, "10", "filetype " + b64("image/png"), -1).code()).isEqualTo(ErrorCode.INVALID_FIELD);
        assertThat(uploads.create(ALICE, "10", "sha256 " + b64("abc"), -1).code()).isEqualTo(ErrorCode.INVALID_FIELD);
        assertThat(uploads.create(ALICE, "10", "sha256 %%%", -1).code()).isEqualTo(ErrorCode.INVALID_FIELD);
        assertThat(uploads.create(ALICE, "10", "sha256 " + b64(hex(content)) + ",filetype " + b64("not a type"), -1)
                .code()).isEqualTo(ErrorCode.INVALID_FIELD);
        assertThat(uploads.create(ALICE, "10", metadata(content), 5).code()).isEqualTo(ErrorCode.INVALID_FIELD);
        assertThat(store.uploads()).isEmpty();
    }

    @Test
    void patchNeedsTheTusContentTypeAndAnOffset() throws Exception {
        String id = create(new byte[10]);
        InputStream body = new ByteArrayInputStream(new byte[10]);
        assertThat(uploads.patch(ALICE, id, "application/octet-stream", "0", 10, body).status()).isEqualTo(415);
        assertThat(uploads.patch(ALICE, id, OCTETS, null, 10, body).status()).isEqualTo(400);
        assertThat(uploads.patch(ALICE, id, OCTETS, "1e3", 10, body).status()).isEqualTo(400);
    }

    @Test
    void openUploadsPerUserAreLimited() throws Exception {
        create(new byte[10]);
        String second = create(new byte[20]);
        Reply third = uploads.create(ALICE, "30", metadata(new byte[30]), -1);
        assertThat(third.status()).isEqualTo(429);
        assertThat(third.code()).isEqualTo(ErrorCode.TOO_MANY_UPLOADS);
        assertThat(uploads.create(MALLORY, "30", metadata(new byte[30]), -1).status()).isEqualTo(201);
        assertThat(uploads.delete(ALICE, second).status()).isEqualTo(204);
        assertThat(uploads.create(ALICE, "30", metadata(new byte[30]), -1).status()).isEqualTo(201);

        // a day later the unfinished ones no longer count: a client that lost its ids is not locked out
        Uploads later = new Uploads(store, 1000, 2, user -> 0, Duration.ofDays(1),
                Clock.offset(Clock.systemUTC(), Duration.ofDays(1).plusMinutes(1)));
        assertThat(later.create(ALICE, "40", metadata(new byte[40]), -1).status()).isEqualTo(201);
        assertThat(uploads.create(ALICE, "50", metadata(new byte[50]), -1).status()).isEqualTo(429);
    }

    @Test
    void rateLimitedRequestsSayWhenToComeBack() throws Exception {
        String id = create(new byte[10]);
        wait.set(1500);
        Reply reply = patch(ALICE, id, 0, new byte[10], 0, 10);
        assertThat(reply.status()).isEqualTo(429);
        assertThat(reply.code()).isEqualTo(ErrorCode.RATE_LIMITED);
        assertThat(reply.retryAfterMs()).isEqualTo(1500);
        assertThat(reply.headers()).containsEntry("Retry-After", "2");
        wait.set(0);
        assertThat(uploads.head(ALICE, id).headers()).containsEntry("Upload-Offset", "0");
    }

    @Test
    void anEmptyFileIsDoneAtCreation() throws Exception {
        Reply created = uploads.create(ALICE, "0", metadata(new byte[0]), -1);
        assertThat(created.status()).isEqualTo(201);
        assertThat(created.headers()).containsEntry(Uploads.BLOB_HEADER, "sha256:" + hex(new byte[0]));
    }

    @Test
    void metadataFollowsTheTusFormat() throws Exception {
        assertThat(TusHeaders.metadata("filename " + b64("a b.jpg") + ", flag,sha256 " + b64("x")))
                .containsExactly(java.util.Map.entry("filename", "a b.jpg"), java.util.Map.entry("flag", ""),
                        java.util.Map.entry("sha256", "x"));
        assertThat(TusHeaders.metadata(null)).isEmpty();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> TusHeaders.metadata("a " + b64("1") + ",a " + b64("2")))
                .isInstanceOf(TusHeaders.Invalid.class);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> TusHeaders.metadata("a,,b"))
                .isInstanceOf(TusHeaders.Invalid.class);
    }
}
