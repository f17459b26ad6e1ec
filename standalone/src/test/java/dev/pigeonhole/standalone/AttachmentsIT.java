package dev.pigeonhole.standalone;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.pigeonhole.protocol.ClientFrame;
import dev.pigeonhole.protocol.ServerFrame;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Attachments end to end (docs/protocol.md, Attachments and Downloads): alice uploads a photo and sends it to bob, who
 * is offline; bob connects later, gets the message with the attachment's metadata and downloads the bytes (whole, then
 * resumed with {@code Range}). Forged references are refused {@code invalid_attachment}; carol, no recipient, gets the
 * same 404 as for a blob that does not exist. The collector (every second here, grace 4 s) removes an orphan blob and
 * an abandoned upload and keeps the referenced blob.
 */
class AttachmentsIT {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @RegisterExtension
    static final StandaloneExtension STACK = new StandaloneExtension("attachments-it", props());

    private static Map<String, String> props() {
        Map<String, String> p = new TreeMap<>(ServiceProcess.GENEROUS_LIMITS);
        p.put("pigeonhole.blobs.collect-interval", "PT1S");
        p.put("pigeonhole.blobs.grace", "PT4S");
        p.put("pigeonhole.blobs.upload-timeout", "PT4S");
        return p;
    }

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void anOfflineRecipientGetsTheAttachmentAndDownloadsItOthersDoNot() throws Exception {
        ServiceProcess server = STACK.process();
        byte[] photo = new byte[300_000];
        new Random(14).nextBytes(photo);
        String ref = upload(server, "alice", photo, "image/jpeg");
        assertThat(ref).isEqualTo("sha256:" + hex(photo));
        String orphan = upload(server, "alice", "never sent".getBytes(StandardCharsets.UTF_8), "text/plain");
        String abandoned = create(server, "alice", 10, hex("0123456789".getBytes(StandardCharsets.UTF_8)), "text/plain");

        String preview = Base64.getEncoder().encodeToString(new byte[] {1, 2, 3});
        String attachment = "{\"ref\":\"" + ref + "\",\"size\":" + photo.length
                + ",\"type\":\"image/jpeg\",\"name\":\"cat.jpg\",\"preview\":\"" + preview + "\"}";
        try (TestSender alice = new TestSender(server.ws(""), "alice", "phone")) {
            alice.sendRaw("{\"type\":\"send\",\"id\":\"m-1\",\"to\":\"bob\",\"body\":{\"text\":\"look\"},\"attachments\":["
                    + attachment + "]}");
            assertThat(alice.awaitReply("m-1", WAIT)).isEqualTo(new ServerFrame.Accepted("m-1"));

            // a hash nobody uploaded, another user's blob, a wrong size: rejected, final
            String nobody = "sha256:" + "ab".repeat(32);
            alice.sendRaw(send("m-2", nobody, 10));
            String bobsOwn = upload(server, "bob", "bob's file".getBytes(StandardCharsets.UTF_8), "text/plain");
            alice.sendRaw(send("m-3", bobsOwn, 10));
            alice.sendRaw(send("m-4", ref, photo.length - 1));
            for (String id : List.of("m-2", "m-3", "m-4")) {
                ServerFrame reply = alice.awaitReply(id, WAIT);
                assertThat(reply).as(id).isInstanceOfSatisfying(ServerFrame.Rejected.class,
                        r -> assertThat(r.code().wire()).isEqualTo("invalid_attachment"));
            }
        }
        HttpResponse<String> viaHttp = http.send(HttpRequest.newBuilder(URI.create(server.http("/v1/messages" + as("carol"))))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(send("m-5", ref, photo.length)))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(viaHttp.statusCode()).isEqualTo(400);
        assertThat(viaHttp.body()).contains("\"code\":\"invalid_attachment\"");

        // bob was offline: he connects now and finds the message with the metadata as alice sent it
        try (TestInbox bob = new TestInbox(server.ws(""), "bob", "phone", "", true)) {
            await().atMost(WAIT).until(() -> bob.frames().stream().anyMatch(f -> f instanceof ServerFrame.Message));
            ServerFrame.Message m = bob.frames().stream().filter(f -> f instanceof ServerFrame.Message)
                    .map(f -> (ServerFrame.Message) f).findFirst().orElseThrow();
            assertThat(m.id()).isEqualTo("m-1");
            assertThat(m.attachments()).containsExactly(
                    new ClientFrame.Attachment(ref, photo.length, "image/jpeg", "cat.jpg", preview));
        }

        HttpResponse<InputStream> whole = get(server, ref, "bob", null);
        assertThat(whole.statusCode()).isEqualTo(200);
        assertThat(whole.headers().firstValue("Content-Type")).contains("image/jpeg");
        assertThat(whole.headers().firstValue("ETag")).contains("\"" + ref + "\"");
        assertThat(whole.headers().firstValueAsLong("Content-Length")).hasValue(photo.length);
        assertThat(hex(whole.body().readAllBytes())).isEqualTo(hex(photo));

        // a download cut after 100,000 bytes resumes from there
        byte[] first;
        try (InputStream in = get(server, ref, "bob", null).body()) {
            first = in.readNBytes(100_000);
        }
        HttpResponse<InputStream> rest = get(server, ref, "bob", "bytes=100000-");
        assertThat(rest.statusCode()).isEqualTo(206);
        assertThat(rest.headers().firstValue("Content-Range")).contains("bytes 100000-299999/300000");
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        sha.update(first);
        sha.update(rest.body().readAllBytes());
        assertThat(HexFormat.of().formatHex(sha.digest())).isEqualTo(hex(photo));
        assertThat(get(server, ref, "bob", "bytes=300000-").statusCode()).isEqualTo(416);

        HttpResponse<Void> head = http.send(HttpRequest.newBuilder(URI.create(server.http("/v1/blobs/" + ref + as("alice"))))
                .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding());
        assertThat(head.statusCode()).isEqualTo(200);
        assertThat(head.headers().firstValueAsLong("Content-Length")).hasValue(photo.length);

        // carol was no recipient: the same answer as for a blob nobody has
        HttpResponse<InputStream> carol = get(server, ref, "carol", null);
        HttpResponse<InputStream> missing = get(server, "sha256:" + "cd".repeat(32), "carol", null);
        assertThat(carol.statusCode()).isEqualTo(404);
        assertThat(new String(carol.body().readAllBytes(), StandardCharsets.UTF_8))
                .isEqualTo(new String(missing.body().readAllBytes(), StandardCharsets.UTF_8)).contains("\"code\":\"not_found\"");
        assertThat(get(server, ref, "bob", null, false).statusCode()).isEqualTo(401);

        // the collector: the unsent blob and the abandoned upload go after the grace; the sent photo stays
        assertThat(get(server, orphan, "alice", null).statusCode()).isEqualTo(200);
        await().atMost(WAIT).pollInterval(Duration.ofMillis(500)).until(() ->
                get(server, orphan, "alice", null).statusCode() == 404 && uploadStatus(server, abandoned) == 404);
        assertThat(get(server, ref, "bob", null).statusCode()).isEqualTo(200);
        assertThat(get(server, ref, "alice", null).statusCode()).isEqualTo(200);
    }

    private static String send(String id, String ref, long size) {
        return "{\"type\":\"send\",\"id\":\"" + id + "\",\"to\":\"bob\",\"body\":{},\"attachments\":[{\"ref\":\"" + ref
                + "\",\"size\":" + size + ",\"type\":\"text/plain\"}]}";
    }

    private HttpResponse<InputStream> get(ServiceProcess server, String ref, String user, String range) throws Exception {
        return get(server, ref, user, range, true);
    }

    private HttpResponse<InputStream> get(ServiceProcess server, String ref, String user, String range, boolean identified)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.http("/v1/blobs/" + ref + (identified ? as(user) : ""))));
        if (range != null) {
            b.header("Range", range);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
    }

    private int uploadStatus(ServiceProcess server, String location) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(server.http(location + as("alice")))).header("Tus-Resumable", "1.0.0")
                .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    private String create(ServiceProcess server, String user, long length, String hex, String type) throws Exception {
        HttpResponse<String> created = http.send(HttpRequest.newBuilder(URI.create(server.http("/v1/uploads" + as(user))))
                .header("Tus-Resumable", "1.0.0").header("Upload-Length", Long.toString(length))
                .header("Upload-Metadata", "sha256 " + b64(hex) + ",filetype " + b64(type))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        return created.headers().firstValue("Location").orElseThrow();
    }

    /** Uploads in one PATCH; returns the blob reference. */
    private String upload(ServiceProcess server, String user, byte[] content, String type) throws Exception {
        String location = create(server, user, content.length, hex(content), type);
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(server.http(location + as(user))))
                .header("Tus-Resumable", "1.0.0").header("Upload-Offset", "0")
                .header("Content-Type", "application/offset+octet-stream")
                .method("PATCH", HttpRequest.BodyPublishers.ofByteArray(content)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(204);
        return r.headers().firstValue("Pigeonhole-Blob").orElseThrow();
    }

    private static String as(String user) {
        return "?user=" + user + "&device=d1";
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    private static String hex(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }
}
