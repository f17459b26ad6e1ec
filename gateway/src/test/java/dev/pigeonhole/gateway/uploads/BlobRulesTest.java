package dev.pigeonhole.gateway.uploads;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pigeonhole.blobs.BlobRef;
import dev.pigeonhole.blobs.ByteRange;
import dev.pigeonhole.blobs.FileBlobStore;
import dev.pigeonhole.blobs.NewUpload;
import dev.pigeonhole.blobs.UploadInfo;
import dev.pigeonhole.protocol.ClientFrame;
import dev.pigeonhole.protocol.ErrorCode;
import dev.pigeonhole.protocol.Identity;
import dev.pigeonhole.protocol.ProtocolException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Attachment checks and grants, download answers (access, Range), the collector's rule and the quota. */
class BlobRulesTest {
    static final Identity ALICE = new Identity("alice", "phone");
    static final Identity BOB = new Identity("bob", "phone");
    static final Identity CAROL = new Identity("carol", "phone");
    static final byte[] PHOTO = "0123456789".repeat(10).getBytes(StandardCharsets.US_ASCII);

    @TempDir
    java.nio.file.Path dir;
    FileBlobStore store;

    @BeforeEach
    void setUp() throws IOException {
        store = new FileBlobStore(dir);
    }

    @AfterEach
    void tearDown() throws IOException {
        store.close();
    }

    BlobRef upload(String owner, byte[] content) throws Exception {
        BlobRef ref = BlobRef.of(MessageDigest.getInstance("SHA-256").digest(content));
        UploadInfo up = store.create(new NewUpload(owner, content.length, ref, "image/jpeg", "p.jpg"));
        store.append(owner, up.id(), 0, new ByteArrayInputStream(content));
        return store.finish(owner, up.id()).blob().orElseThrow();
    }

    static ClientFrame.Send send(BlobRef ref, long size) {
        return new ClientFrame.Send("m-1", "bob", "{}", List.of(new ClientFrame.Attachment(ref.toString(), size, "image/jpeg", null, null)));
    }

    @Test
    void onlyTheSendersFinishedUploadOfTheRightSizeIsAccepted() throws Exception {
        BlobRef ref = upload("alice", PHOTO);
        Attachments a = new Attachments(store);
        assertThat(a.refusal("alice", send(ref, PHOTO.length))).isNull();
        ProtocolException wrongSize = a.refusal("alice", send(ref, PHOTO.length + 1));
        assertThat(wrongSize.code()).isEqualTo(ErrorCode.INVALID_ATTACHMENT);
        assertThat(wrongSize.id()).isEqualTo("m-1");
        assertThat(a.refusal("mallory", send(ref, PHOTO.length)).code()).isEqualTo(ErrorCode.INVALID_ATTACHMENT);
        assertThat(a.refusal("alice", send(BlobRef.parse("sha256:" + "ab".repeat(32)), 1)).code())
                .isEqualTo(ErrorCode.INVALID_ATTACHMENT);
        assertThat(a.refusal("alice", new ClientFrame.Send("m-2", "bob", "{}"))).isNull();
    }

    @Test
    void downloadsGoToOwnersAndGranteesOnlyWithRanges() throws Exception {
        BlobRef ref = upload("alice", PHOTO);
        Downloads d = new Downloads(store);
        Downloads.Download missing = d.plan(BOB, ref.toString(), null, null, null);
        Downloads.Download nobody = d.plan(BOB, "sha256:" + "ab".repeat(32), null, null, null);
        assertThat(missing.reply().status()).isEqualTo(404);
        assertThat(missing.reply()).isEqualTo(nobody.reply()); // no existence leak
        assertThat(d.plan(BOB, "not-a-ref", null, null, null).reply().status()).isEqualTo(404);

        new Attachments(store).grant("alice", send(ref, PHOTO.length), List.of("bob", "alice"));
        Downloads.Download all = d.plan(BOB, ref.toString().replace(":", "%3A"), null, null, null);
        assertThat(all.reply().status()).isEqualTo(200);
        assertThat(all.reply().headers()).containsEntry("ETag", "\"" + ref + "\"").containsEntry("Content-Type", "image/jpeg")
                .containsEntry("Content-Length", "100").containsEntry("Accept-Ranges", "bytes")
                .containsEntry("Content-Security-Policy", "default-src 'none'; sandbox");
        assertThat(d.plan(CAROL, ref.toString(), null, null, null).reply().status()).isEqualTo(404);

        Downloads.Download part = d.plan(BOB, ref.toString(), "bytes=10-19", null, null);
        assertThat(part.reply().status()).isEqualTo(206);
        assertThat(part.reply().headers()).containsEntry("Content-Range", "bytes 10-19/100").containsEntry("Content-Length", "10");
        assertThat(List.of(part.start(), part.length())).containsExactly(10L, 10L);
        assertThat(d.plan(BOB, ref.toString(), "bytes=95-", null, null).reply().headers())
                .containsEntry("Content-Range", "bytes 95-99/100");
        assertThat(d.plan(BOB, ref.toString(), "bytes=-5", null, null).reply().headers())
                .containsEntry("Content-Range", "bytes 95-99/100");
        assertThat(d.plan(BOB, ref.toString(), "bytes=90-500", null, null).reply().headers())
                .containsEntry("Content-Range", "bytes 90-99/100");
        Downloads.Download past = d.plan(BOB, ref.toString(), "bytes=100-", null, null);
        assertThat(past.reply().status()).isEqualTo(416);
        assertThat(past.reply().headers()).containsEntry("Content-Range", "bytes */100");
        assertThat(past.hasBody()).isFalse();
        assertThat(d.plan(BOB, ref.toString(), "bytes=0-1,5-6", null, null).reply().status()).isEqualTo(200);
        assertThat(d.plan(BOB, ref.toString(), "bytes=10-19", "\"sha256:other\"", null).reply().status()).isEqualTo(200);
        assertThat(d.plan(BOB, ref.toString(), "bytes=10-19", "\"" + ref + "\"", null).reply().status()).isEqualTo(206);
        assertThat(d.plan(BOB, ref.toString(), null, null, "\"" + ref + "\"").reply().status()).isEqualTo(304);
    }

    @Test
    void rangeHeadersParseOrAreIgnored() {
        assertThat(Downloads.parseRange("bytes=0-0", null, "e")).isEqualTo(ByteRange.of(0, 0));
        assertThat(Downloads.parseRange("bytes=7-", null, "e")).isEqualTo(ByteRange.from(7));
        assertThat(Downloads.parseRange("bytes=-3", null, "e")).isEqualTo(ByteRange.suffix(3));
        for (String ignored : new String[] {null, "bytes=5-2", "bytes=-0", "bytes=a-b", "items=0-1", "bytes=0-1,3-4", "bytes="}) {
            assertThat(Downloads.parseRange(ignored, null, "e")).as(ignored).isNull();
        }
    }

    @Test
    void theCollectorKeepsReferencedBlobsAndRemovesOrphansAndStaleUploads() throws Exception {
        BlobRef sent = upload("alice", PHOTO);
        BlobRef orphan = upload("alice", "never sent".getBytes(StandardCharsets.US_ASCII));
        new Attachments(store).grant("alice", send(sent, PHOTO.length), List.of("bob", "alice"));
        UploadInfo open = store.create(new NewUpload("carol", 10, orphan, "text/plain", null));

        Duration retention = Duration.ofDays(7);
        Duration grace = Duration.ofDays(1);
        BlobCollector c = new BlobCollector(store, Duration.ofHours(1), retention, grace);
        assertThat(c.collect(Instant.now())).isEqualTo(new BlobCollector.Result(0, 0, 0));

        // two days on: the grace of the unsent blob is over, the sent one is within retention
        BlobCollector.Result r = c.collect(Instant.now().plus(Duration.ofDays(2)));
        assertThat(r).isEqualTo(new BlobCollector.Result(1, 1, 1));
        assertThat(store.blob(orphan)).isEmpty();
        assertThat(store.upload("carol", open.id())).isEmpty();
        assertThat(store.blob(sent)).isPresent();
        assertThat(store.access(sent, "bob")).contains("image/jpeg");

        // past retention + grace of the newest grant: gone with its marks, grants and records
        assertThat(c.collect(Instant.now().plus(Duration.ofDays(9))).blobs()).isEqualTo(1);
        assertThat(store.blob(sent)).isEmpty();
        assertThat(store.access(sent, "bob")).isEmpty();
        assertThat(store.uploads("alice")).isEmpty();
    }

    @Test
    void theQuotaCountsFinishedBlobsOnceAndOpenUploads() throws Exception {
        upload("alice", PHOTO);
        upload("alice", PHOTO); // the same blob twice: counted once
        Uploads uploads = new Uploads(store, 1000, 5, 250, user -> 0, Duration.ofDays(1), Clock.systemUTC());
        String meta = "sha256 " + java.util.Base64.getEncoder().encodeToString("ab".repeat(32).getBytes(StandardCharsets.US_ASCII));
        assertThat(uploads.create(ALICE, "100", meta, -1).status()).isEqualTo(201); // 100 + 100 open
        Reply over = uploads.create(ALICE, "51", meta, -1);
        assertThat(over.status()).isEqualTo(413);
        assertThat(over.code()).isEqualTo(ErrorCode.QUOTA_EXCEEDED);
        assertThat(uploads.create(ALICE, "50", meta, -1).status()).isEqualTo(201);
        assertThat(uploads.create(BOB, "250", meta, -1).status()).isEqualTo(201);
    }
}
