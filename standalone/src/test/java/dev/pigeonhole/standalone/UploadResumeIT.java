package dev.pigeonhole.standalone;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A 20 MiB file uploaded with the resumable upload API (docs/protocol.md, Uploads) through a network that cuts the
 * connection four times mid-body: the client asks {@code HEAD} for the offset and resumes there. The server keeps
 * what arrived before each cut, so fewer than 1.5 × the file's bytes cross the network (counted by the proxy); the reference is the file's
 * SHA-256, and the blob lies in the standalone's data directory with those bytes.
 */
class UploadResumeIT {
    private static final int SIZE = 20 * 1024 * 1024;
    /** Larger than the HTTP body limit of other endpoints (1 MiB): upload bodies are streamed, not limited by it. */
    private static final int CHUNK = 3 * 1024 * 1024;
    /**
     * Where the network cuts (bytes sent so far). Each cut loses what sat in socket and proxy buffers (measured
     * ~0.9-1.4 MB here), so four cuts keep a margin under 1.5 x on a loaded machine.
     */
    private static final long[] CUTS = {3_100_000, 7_900_000, 12_300_000, 16_700_000};

    @RegisterExtension
    static final StandaloneExtension STACK = new StandaloneExtension("upload-resume-it");

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void aLargeUploadResumesAcrossCutConnectionsAndEndsWithItsHash() throws Exception {
        byte[] file = new byte[SIZE];
        new Random(14).nextBytes(file);
        String hex = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(file));
        int port = STACK.process().port;
        try (FaultProxy proxy = new FaultProxy(port)) {
            String viaProxy = "http://127.0.0.1:" + proxy.port();
            String direct = "http://127.0.0.1:" + port;

            HttpResponse<String> created = http.send(HttpRequest.newBuilder(URI.create(viaProxy + "/v1/uploads" + as("alice")))
                    .header("Tus-Resumable", "1.0.0").header("Upload-Length", Integer.toString(SIZE))
                    .header("Upload-Metadata", "sha256 " + b64(hex) + ",filetype " + b64("video/mp4") + ",filename " + b64("clip.mp4"))
                    .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
            assertThat(created.headers().firstValue("Tus-Resumable")).contains("1.0.0");
            String upload = created.headers().firstValue("Location").orElseThrow();

            AtomicLong sent = new AtomicLong();
            List<Long> cutsDone = new ArrayList<>();
            long offset = 0;
            String blob = null;
            int failures = 0;
            int mismatches = 0;
            int keptPartial = 0;
            while (blob == null) {
                int length = (int) Math.min(CHUNK, SIZE - offset);
                try {
                    HttpResponse<String> r = patch(viaProxy + upload + as("alice"), offset,
                            new Cutting(file, (int) offset, length, sent, proxy, cutsDone), length);
                    if (r.statusCode() == 409) {
                        mismatches++;
                        offset = head(viaProxy + upload + as("alice"));
                        continue;
                    }
                    assertThat(r.statusCode()).as(r.body()).isEqualTo(204);
                    offset = Long.parseLong(r.headers().firstValue("Upload-Offset").orElseThrow());
                    blob = r.headers().firstValue("Pigeonhole-Blob").orElse(null);
                } catch (IOException cut) {
                    long startedAt = offset;
                    failures++;
                    assertThat(failures).as("failed requests").isLessThan(20);
                    // back off a moment, as a client does: the server then has seen the cut and stored what arrived
                    Thread.sleep(300);
                    offset = head(viaProxy + upload + as("alice"));
                    System.out.printf("UploadResumeIT: cut; the client read %d bytes, %d crossed the network, the server has %d%n",
                            sent.get(), proxy.bytesFromClients(), offset);
                    if (offset > startedAt) {
                        keptPartial++;
                    }
                }
                if (offset >= SIZE / 2 && blob == null && !checkedOthers) {
                    checkOthers(direct, upload, offset);
                }
            }
            assertThat(cutsDone).as("connections cut mid-upload").hasSize(CUTS.length);
            assertThat(failures).as("requests that failed with the cut").isGreaterThanOrEqualTo(CUTS.length);
            assertThat(checkedOthers).isTrue();
            assertThat(keptPartial).as("cut requests whose bytes that arrived the server kept (of %d)", CUTS.length)
                    .isGreaterThanOrEqualTo(CUTS.length - 1);
            assertThat(blob).isEqualTo("sha256:" + hex);
            // sent = what crossed the network (the proxy received it); the client's HTTP stack also reads ahead
            // from the file into its own buffers, bytes that never left it when the cut came
            long onTheWire = proxy.bytesFromClients();
            System.out.printf("UploadResumeIT: %d bytes sent (%.3f x the %d-byte file; the client read %.3f x) over %d cuts, %d answers 409%n",
                    onTheWire, onTheWire / (double) SIZE, SIZE, sent.get() / (double) SIZE, cutsDone.size(), mismatches);
            assertThat(onTheWire).as("bytes sent in total").isLessThan(SIZE * 3L / 2);

            HttpResponse<Void> done = http.send(HttpRequest.newBuilder(URI.create(direct + upload + as("alice")))
                    .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding());
            assertThat(done.headers().firstValue("Upload-Offset")).contains(Integer.toString(SIZE));
            assertThat(done.headers().firstValue("Pigeonhole-Blob")).contains("sha256:" + hex);

            Path stored = STACK.serverData().resolve("blobs/blobs/" + hex.substring(0, 2) + "/" + hex);
            assertThat(stored).exists().hasSize(SIZE);
            assertThat(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(stored))))
                    .isEqualTo(hex);
        }
    }

    private boolean checkedOthers;

    /** Mid-upload: a wrong offset is 409 and changes nothing; another user can neither see nor extend the upload. */
    private void checkOthers(String direct, String upload, long offset) throws Exception {
        byte[] some = new byte[1000];
        HttpResponse<String> wrong = patch(direct + upload + as("alice"), offset + 1, new java.io.ByteArrayInputStream(some), some.length);
        assertThat(wrong.statusCode()).isEqualTo(409);
        assertThat(wrong.body()).contains("\"code\":\"offset_mismatch\"");
        assertThat(wrong.headers().firstValue("Upload-Offset")).contains(Long.toString(offset));

        HttpResponse<Void> peek = http.send(HttpRequest.newBuilder(URI.create(direct + upload + as("mallory")))
                .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding());
        assertThat(peek.statusCode()).isEqualTo(404);
        assertThat(peek.headers().firstValue("Upload-Offset")).isEmpty();
        HttpResponse<String> poke = patch(direct + upload + as("mallory"), offset, new java.io.ByteArrayInputStream(some), some.length);
        assertThat(poke.statusCode()).isEqualTo(404);
        assertThat(poke.body()).contains("\"code\":\"not_found\"");
        HttpResponse<String> anonymous = http.send(HttpRequest.newBuilder(URI.create(direct + upload))
                .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(anonymous.statusCode()).isEqualTo(401);

        assertThat(head(direct + upload + as("alice"))).isEqualTo(offset);
        checkedOthers = true;
    }

    private static String as(String user) {
        return "?user=" + user + "&device=d1";
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    private HttpResponse<String> patch(String url, long offset, InputStream body, long length) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
                .header("Tus-Resumable", "1.0.0").header("Upload-Offset", Long.toString(offset))
                .header("Content-Type", "application/offset+octet-stream")
                .method("PATCH", HttpRequest.BodyPublishers.fromPublisher(HttpRequest.BodyPublishers.ofInputStream(() -> body), length))
                .build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The upload's offset; retried while the network is still settling. */
    private long head(String url) throws Exception {
        for (int attempt = 0; ; attempt++) {
            try {
                HttpResponse<Void> r = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10))
                        .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding());
                assertThat(r.statusCode()).isEqualTo(200);
                return Long.parseLong(r.headers().firstValue("Upload-Offset").orElseThrow());
            } catch (IOException e) {
                assertThat(attempt).as("HEAD attempts").isLessThan(10);
                Thread.sleep(100);
            }
        }
    }

    /** A slice of the file that counts what the client sends and cuts the connection at the next cut point. */
    private static final class Cutting extends InputStream {
        private final byte[] file;
        private int pos;
        private final int end;
        private final AtomicLong sent;
        private final FaultProxy proxy;
        private final List<Long> cutsDone;

        Cutting(byte[] file, int from, int length, AtomicLong sent, FaultProxy proxy, List<Long> cutsDone) {
            this.file = file;
            this.pos = from;
            this.end = from + length;
            this.sent = sent;
            this.proxy = proxy;
            this.cutsDone = cutsDone;
        }

        @Override
        public int read() {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (pos >= end) {
                return -1;
            }
            int n = Math.min(Math.min(len, end - pos), 64 * 1024);
            System.arraycopy(file, pos, b, off, n);
            pos += n;
            long total = sent.addAndGet(n);
            int next = cutsDone.size();
            if (next < CUTS.length && total >= CUTS[next]) {
                cutsDone.add(total);
                proxy.drop();
            }
            return n;
        }
    }
}
