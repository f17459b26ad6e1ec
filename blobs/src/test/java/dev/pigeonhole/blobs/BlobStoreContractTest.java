package dev.pigeonhole.blobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What every {@link BlobStore} promises; run by one subclass per implementation. */
abstract class BlobStoreContractTest {
    protected BlobStore store;

    /** A store over the test's backing (a directory, a bucket); each call a new instance on the same backing. */
    protected abstract BlobStore open() throws IOException;

    /**
     * The most this thread may allocate to upload and finish 20 MiB, if that says something for this store: a store
     * that held the file would allocate at least its size. (The S3 client copies bytes internally, so for it the
     * bound on its piece buffer is checked instead.)
     */
    protected java.util.OptionalLong allocationBoundFor20MiB() {
        return java.util.OptionalLong.empty();
    }

    @BeforeEach
    void start() throws IOException {
        store = open();
    }

    @AfterEach
    void stop() throws IOException {
        store.close();
    }

    static byte[] bytes(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    static BlobRef sha(byte[] b) {
        return BlobRef.of(KeyedBlobStore.sha256().digest(b));
    }

    static InputStream in(byte[] b, int from, int to) {
        return new ByteArrayInputStream(b, from, to - from);
    }

    NewUpload declare(String owner, byte[] content) {
        return new NewUpload(owner, content.length, sha(content), "application/octet-stream", "f.bin");
    }

    @Test
    void appendsAtTheOffsetAndFinishesIntoTheBlob() throws Exception {
        byte[] content = bytes(100_000, 1);
        UploadInfo up = store.create(declare("alice", content));
        assertThat(up.offset()).isZero();
        assertThat(store.append("alice", up.id(), 0, in(content, 0, 30_000))).isEqualTo(30_000);
        assertThat(store.upload("alice", up.id()).orElseThrow().offset()).isEqualTo(30_000);
        assertThat(store.append("alice", up.id(), 30_000, in(content, 30_000, 100_000))).isEqualTo(100_000);

        UploadInfo done = store.finish("alice", up.id());
        assertThat(done.blob()).contains(sha(content));
        assertThat(store.upload("alice", up.id()).orElseThrow().blob()).contains(sha(content));
        assertThat(store.finish("alice", up.id()).blob()).contains(sha(content));
        assertThat(store.blob(sha(content)).orElseThrow().size()).isEqualTo(100_000);
        try (InputStream read = store.read(sha(content), ByteRange.ALL)) {
            assertThat(read.readAllBytes()).isEqualTo(content);
        }
        assertThat(store.isOwner(sha(content), "alice")).isTrue();
        assertThat(store.isOwner(sha(content), "bob")).isFalse();
        assertThat(store.owners(sha(content))).containsExactly("alice");
    }

    @Test
    void aWrongOffsetIsRefusedAndNothingIsRead() throws Exception {
        byte[] content = bytes(1000, 2);
        UploadInfo up = store.create(declare("alice", content));
        store.append("alice", up.id(), 0, in(content, 0, 400));
        InputStream untouched = in(content, 500, 1000);
        assertThatThrownBy(() -> store.append("alice", up.id(), 500, untouched))
                .isInstanceOfSatisfying(BlobException.class, e -> {
                    assertThat(e.error()).isEqualTo(BlobError.OFFSET_MISMATCH);
                    assertThat(e.offset()).isEqualTo(400);
                });
        assertThat(untouched.available()).isEqualTo(500);
        assertThatThrownBy(() -> store.append("alice", up.id(), 0, in(content, 0, 10)))
                .isInstanceOfSatisfying(BlobException.class, e -> assertThat(e.error()).isEqualTo(BlobError.OFFSET_MISMATCH));
        assertThat(store.upload("alice", up.id()).orElseThrow().offset()).isEqualTo(400);
    }

    @Test
    void anotherUsersUploadDoesNotExistForThem() throws Exception {
        byte[] content = bytes(100, 3);
        UploadInfo up = store.create(declare("alice", content));
        assertThat(store.upload("mallory", up.id())).isEmpty();
        assertThatThrownBy(() -> store.append("mallory", up.id(), 0, in(content, 0, 100)))
                .isInstanceOfSatisfying(BlobException.class, e -> assertThat(e.error()).isEqualTo(BlobError.UPLOAD_NOT_FOUND));
        assertThat(store.abandon("mallory", up.id())).isFalse();
        assertThat(store.upload("alice", up.id())).isPresent();
        assertThat(store.upload("alice", "../../etc")).isEmpty();
    }

    @Test
    void anUploadResumesOnAnotherInstanceOfTheStore() throws Exception {
        byte[] content = bytes(50_000, 4);
        UploadInfo up = store.create(declare("alice", content));
        store.append("alice", up.id(), 0, in(content, 0, 20_000));
        store.close();
        store = open();
        UploadInfo again = store.upload("alice", up.id()).orElseThrow();
        assertThat(again.offset()).isEqualTo(20_000);
        assertThat(again.declared()).isEqualTo(up.declared());
        store.append("alice", up.id(), 20_000, in(content, 20_000, 50_000));
        assertThat(store.finish("alice", up.id()).blob()).contains(sha(content));
    }

    @Test
    void bytesReadBeforeTheInputFailedAreKept() throws Exception {
        byte[] content = bytes(10_000, 5);
        UploadInfo up = store.create(declare("alice", content));
        InputStream cut = new InputStream() {
            int pos;

            @Override
            public int read() throws IOException {
                if (pos == 3000) {
                    throw new IOException("connection reset");
                }
                return content[pos++] & 0xff;
            }
        };
        assertThatThrownBy(() -> store.append("alice", up.id(), 0, cut)).isInstanceOf(IOException.class);
        assertThat(store.upload("alice", up.id()).orElseThrow().offset()).isEqualTo(3000);
        store.append("alice", up.id(), 3000, in(content, 3000, 10_000));
        assertThat(store.finish("alice", up.id()).blob()).contains(sha(content));
    }

    @Test
    void aHashMismatchDiscardsTheUpload() throws Exception {
        byte[] content = bytes(20_000, 6);
        byte[] other = content.clone();
        other[12_345] ^= 1;
        UploadInfo up = store.create(declare("alice", content));
        store.append("alice", up.id(), 0, in(other, 0, other.length));
        assertThatThrownBy(() -> store.finish("alice", up.id()))
                .isInstanceOfSatisfying(BlobException.class, e -> assertThat(e.error()).isEqualTo(BlobError.CHECKSUM_MISMATCH));
        assertThat(store.upload("alice", up.id())).isEmpty();
        assertThat(store.blob(sha(content))).isEmpty();
        assertThat(store.blob(sha(other))).isEmpty();
        assertThat(store.blobs()).isEmpty();
        assertThat(store.isOwner(sha(content), "alice")).isFalse();
    }

    @Test
    void finishingEarlyIsRefusedAndKeepsTheUpload() throws Exception {
        byte[] content = bytes(1000, 7);
        UploadInfo up = store.create(declare("alice", content));
        store.append("alice", up.id(), 0, in(content, 0, 999));
        assertThatThrownBy(() -> store.finish("alice", up.id()))
                .isInstanceOfSatisfying(BlobException.class, e -> assertThat(e.error()).isEqualTo(BlobError.UPLOAD_INCOMPLETE));
        assertThat(store.upload("alice", up.id()).orElseThrow().offset()).isEqualTo(999);
    }

    @Test
    void bytesPastTheDeclaredLengthAreRefusedAndNoneKept() throws Exception {
        byte[] content = bytes(1000, 8);
        UploadInfo up = store.create(declare("alice", content));
        store.append("alice", up.id(), 0, in(content, 0, 600));
        byte[] tooMuch = Arrays.copyOfRange(bytes(1001, 8), 600, 1001);
        assertThatThrownBy(() -> store.append("alice", up.id(), 600, new ByteArrayInputStream(tooMuch)))
                .isInstanceOfSatisfying(BlobException.class, e -> assertThat(e.error()).isEqualTo(BlobError.UPLOAD_OVERFLOW));
        assertThat(store.upload("alice", up.id()).orElseThrow().offset()).isEqualTo(600);
        store.append("alice", up.id(), 600, in(content, 600, 1000));
        assertThat(store.finish("alice", up.id()).blob()).contains(sha(content));
    }

    @Test
    void theSameContentIsStoredOnceAndEachUploaderIsMarked() throws Exception {
        byte[] content = bytes(70_000, 9);
        for (String user : List.of("alice", "bob")) {
            UploadInfo up = store.create(declare(user, content));
            store.append(user, up.id(), 0, in(content, 0, content.length));
            assertThat(store.finish(user, up.id()).blob()).contains(sha(content));
        }
        assertThat(store.blobs()).extracting(BlobInfo::ref).containsExactly(sha(content));
        assertThat(store.owners(sha(content))).containsExactlyInAnyOrder("alice", "bob");
        assertThat(store.isOwner(sha(content), "carol")).isFalse();
    }

    @Test
    void anEmptyBlobCanBeUploaded() throws Exception {
        byte[] empty = new byte[0];
        UploadInfo up = store.create(declare("alice", empty));
        assertThat(store.finish("alice", up.id()).blob()).contains(sha(empty));
        assertThat(store.blob(sha(empty)).orElseThrow().size()).isZero();
    }

    @Test
    void rangesReadPartsOfABlob() throws Exception {
        byte[] content = "0123456789".repeat(100).getBytes(StandardCharsets.US_ASCII);
        UploadInfo up = store.create(declare("alice", content));
        store.append("alice", up.id(), 0, in(content, 0, content.length));
        BlobRef ref = store.finish("alice", up.id()).blob().orElseThrow();
        assertThat(read(ref, ByteRange.parse("bytes=10-14"))).isEqualTo("01234");
        assertThat(read(ref, ByteRange.parse("bytes=995-"))).isEqualTo("56789");
        assertThat(read(ref, ByteRange.parse("bytes=-3"))).isEqualTo("789");
        assertThat(read(ref, ByteRange.parse("bytes=998-5000"))).isEqualTo("89");
        assertThat(read(ref, ByteRange.parse("bytes=-5000"))).hasSize(1000);
        assertThatThrownBy(() -> store.read(ref, ByteRange.parse("bytes=1000-")))
                .isInstanceOfSatisfying(BlobException.class, e -> assertThat(e.error()).isEqualTo(BlobError.RANGE_NOT_SATISFIABLE));
        assertThatThrownBy(() -> store.read(sha(new byte[] {1}), ByteRange.ALL))
                .isInstanceOfSatisfying(BlobException.class, e -> assertThat(e.error()).isEqualTo(BlobError.BLOB_NOT_FOUND));
    }

    private String read(BlobRef ref, ByteRange range) throws Exception {
        try (InputStream in = store.read(ref, range)) {
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        }
    }

    @Test
    void deleteRemovesTheBlobAndItsMarks() throws Exception {
        byte[] content = bytes(5000, 10);
        UploadInfo up = store.create(declare("alice", content));
        store.append("alice", up.id(), 0, in(content, 0, content.length));
        store.finish("alice", up.id());
        assertThat(store.delete(sha(content))).isTrue();
        assertThat(store.blob(sha(content))).isEmpty();
        assertThat(store.isOwner(sha(content), "alice")).isFalse();
        assertThat(store.blobs()).isEmpty();
        assertThat(store.delete(sha(content))).isFalse();
    }

    @Test
    void ownersAndGranteesHaveAccessWithTheMediaTypeAndDeleteRemovesGrants() throws Exception {
        byte[] content = bytes(3000, 11);
        BlobRef ref = sha(content);
        UploadInfo up = store.create(new NewUpload("alice", content.length, ref, "image/png", "a.png"));
        store.append("alice", up.id(), 0, in(content, 0, content.length));
        store.finish("alice", up.id());
        assertThat(store.access(ref, "alice")).contains("image/png");
        assertThat(store.access(ref, "bob")).isEmpty();
        assertThat(store.marks(ref).lastOwned()).isNotNull();
        assertThat(store.marks(ref).lastGranted()).isNull();

        store.grant(ref, "bob", "image/png");
        assertThat(store.access(ref, "bob")).contains("image/png");
        assertThat(store.marks(ref).lastGranted()).isNotNull();
        assertThat(open().access(ref, "bob")).contains("image/png"); // kept in the backing, not the instance
        assertThat(store.access(sha(new byte[] {2}), "bob")).isEmpty();

        store.delete(ref);
        assertThat(store.access(ref, "bob")).isEmpty();
        assertThat(store.access(ref, "alice")).isEmpty();
        assertThat(store.marks(ref)).isEqualTo(new BlobStore.Marks(null, null));
    }

    @Test
    void abandonDeletesTheUploadAndItsBytes() throws Exception {
        byte[] content = bytes(5000, 11);
        UploadInfo up = store.create(declare("alice", content));
        store.append("alice", up.id(), 0, in(content, 0, 2000));
        assertThat(store.abandon("alice", up.id())).isTrue();
        assertThat(store.upload("alice", up.id())).isEmpty();
        assertThat(store.uploads()).isEmpty();
        assertThatThrownBy(() -> store.append("alice", up.id(), 2000, in(content, 2000, 5000)))
                .isInstanceOfSatisfying(BlobException.class, e -> assertThat(e.error()).isEqualTo(BlobError.UPLOAD_NOT_FOUND));
    }

    @Test
    void listsUploadsAndBlobsOldestFirst() throws Exception {
        byte[] a = bytes(300, 12);
        byte[] b = bytes(400, 13);
        UploadInfo first = store.create(declare("alice", a));
        Thread.sleep(1100); // creation and file times have (at worst) second resolution on some backends
        UploadInfo second = store.create(declare("bob", b));
        store.append("alice", first.id(), 0, in(a, 0, a.length));
        store.finish("alice", first.id());
        Thread.sleep(1100);
        store.append("bob", second.id(), 0, in(b, 0, b.length));
        store.finish("bob", second.id());

        assertThat(store.uploads()).extracting(UploadInfo::id).containsExactly(first.id(), second.id());
        assertThat(store.uploads("bob")).extracting(UploadInfo::id).containsExactly(second.id());
        assertThat(store.uploads().get(0).createdAt()).isBefore(store.uploads().get(1).createdAt());
        List<BlobInfo> blobs = store.blobs();
        assertThat(blobs).extracting(BlobInfo::ref).containsExactly(sha(a), sha(b));
        assertThat(blobs.get(0).storedAt()).isBefore(blobs.get(1).storedAt());
        assertThat(blobs).extracting(BlobInfo::size).containsExactly(300L, 400L);
    }

    @Test
    void aLargeUploadInSmallChunksStreams() throws Exception {
        int size = 20 * 1024 * 1024;
        int chunk = 256 * 1024 + 17; // not aligned with any buffer or part size
        MessageDigest sha = KeyedBlobStore.sha256();
        Generated source = new Generated(size, 14);
        source.digestInto(sha);
        BlobRef ref = BlobRef.of(sha.digest());
        UploadInfo up = store.create(new NewUpload("alice", size, ref, "video/mp4", null));
        long offset = 0;
        while (offset < size) {
            int n = (int) Math.min(chunk, size - offset);
            offset = store.append("alice", up.id(), offset, new Generated(size, 14).slice(offset, n));
        }
        assertThat(store.finish("alice", up.id()).blob()).contains(ref);
        MessageDigest back = KeyedBlobStore.sha256();
        try (InputStream in = store.read(ref, ByteRange.ALL)) {
            byte[] buf = new byte[64 * 1024];
            int n;
            long total = 0;
            while ((n = in.read(buf)) >= 0) {
                back.update(buf, 0, n);
                total += n;
            }
            assertThat(total).isEqualTo(size);
        }
        assertThat(BlobRef.of(back.digest())).isEqualTo(ref);
    }

    @Test
    void oneLargeAppendAndItsFinishDoNotHoldTheFile() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(allocationBoundFor20MiB().isPresent(), "bounded otherwise");
        int size = 20 * 1024 * 1024;
        MessageDigest sha = KeyedBlobStore.sha256();
        new Generated(size, 15).digestInto(sha);
        BlobRef ref = BlobRef.of(sha.digest());
        UploadInfo up = store.create(new NewUpload("alice", size, ref, "video/mp4", null));
        var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long before = threads.getCurrentThreadAllocatedBytes();
        assertThat(store.append("alice", up.id(), 0, new Generated(size, 15).slice(0, size))).isEqualTo(size);
        assertThat(store.finish("alice", up.id()).blob()).contains(ref);
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertThat(allocated).as("bytes this thread allocated for 20 MiB").isLessThan(allocationBoundFor20MiB().getAsLong());
    }

    /** Pseudo-random bytes computed on the fly: the test never holds the whole file. */
    static final class Generated {
        private final long size;
        private final long seed;

        Generated(long size, long seed) {
            this.size = size;
            this.seed = seed;
        }

        static byte at(long i, long seed) {
            long x = (i / 8) * 0x9E3779B97F4A7C15L + seed;
            x ^= x >>> 31;
            x *= 0xBF58476D1CE4E5B9L;
            x ^= x >>> 29;
            return (byte) (x >>> ((i % 8) * 8));
        }

        void digestInto(MessageDigest md) throws IOException {
            try (InputStream in = slice(0, size)) {
                byte[] buf = new byte[64 * 1024];
                int n;
                while ((n = in.read(buf)) >= 0) {
                    md.update(buf, 0, n);
                }
            }
        }

        InputStream slice(long from, long length) {
            return new InputStream() {
                long pos = from;
                final long end = from + length;

                @Override
                public int read() {
                    return pos < end ? at(pos++, seed) & 0xff : -1;
                }

                @Override
                public int read(byte[] b, int off, int len) {
                    if (pos >= end) {
                        return -1;
                    }
                    int n = (int) Math.min(len, end - pos);
                    for (int i = 0; i < n; i++) {
                        b[off + i] = at(pos++, seed);
                    }
                    return n;
                }
            };
        }
    }
}
