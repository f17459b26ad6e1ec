package dev.pigeonhole.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pigeonhole.protocol.Json;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Attachments: tus uploads that resume from the server's offset, the send after them, downloads with Range. */
@Timeout(value = 90, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class AttachmentTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final int SIZE = 3 * 1024 * 1024 + 77;

    @TempDir
    Path dir;

    private Path file(String name, int size) throws Exception {
        byte[] bytes = new byte[size];
        new Random(size).nextBytes(bytes);
        return Files.write(dir.resolve(name), bytes);
    }

    private ClientOptions.Builder options(FakeWsServer ws, FakeTusServer tus) {
        return ClientOptions.builder(URI.create(ws.url()), "alice", "phone").httpServer(URI.create(tus.url()))
                .backoff(Duration.ofMillis(20), Duration.ofMillis(50));
    }

    @Test
    void aCutUploadResumesFromTheServersOffsetAndTheMessageGoesOutOnlyAfterIt() throws Exception {
        Path photo = file("photo.jpg", SIZE);
        List<long[]> progress = new CopyOnWriteArrayList<>();
        try (FakeWsServer ws = new FakeWsServer(0); FakeTusServer tus = new FakeTusServer();
             PigeonholeClient client = PigeonholeClient.start(options(ws, tus).dataDir(dir.resolve("data")).build(), new Listener() {
                 @Override
                 public void onUploadProgress(String messageId, String file, long sent, long total) {
                     progress.add(new long[] {sent, total});
                 }
             })) {
            tus.down = true;
            Outgoing m = client.send("bob", "{\"text\":\"lunch?\"}", List.of(FileAttachment.of(photo, "image/jpeg")));
            m.queued().toCompletableFuture().get(10, TimeUnit.SECONDS);
            Files.delete(photo); // the client has its own copy
            assertThatThrownBy(() -> ws.accept("/v1/send", Duration.ofSeconds(1)))
                    .as("no send before the upload finished").isInstanceOf(AssertionError.class);

            tus.cutNextPatchAfter.set(100_000);
            tus.down = false;
            FakeWsServer.Connection send = ws.accept("/v1/send", WAIT);
            JsonNode frame = Json.read(send.next("\"send\"", WAIT), JsonNode.class);
            assertThat(frame.get("id").asText()).isEqualTo(m.id());
            assertThat(frame.at("/body/text").asText()).isEqualTo("lunch?");
            JsonNode a = frame.get("attachments").get(0);
            String ref = a.get("ref").asText();
            assertThat(tus.blob(ref)).hasSize(SIZE);
            assertThat(ref).isEqualTo("sha256:" + FakeTusServer.sha256(tus.blob(ref)));
            assertThat(a.get("size").asLong()).isEqualTo(SIZE);
            assertThat(a.get("type").asText()).isEqualTo("image/jpeg");
            assertThat(a.get("name").asText()).isEqualTo("photo.jpg");
            assertThat(tus.count("HEAD ")).as("asked the offset after the cut").isGreaterThanOrEqualTo(1);
            assertThat(tus.created()).as("one upload, resumed").isEqualTo(1);
            assertThat(tus.patchBytes.get()).isLessThan(SIZE + 600_000L);
            assertThat(progress.get(progress.size() - 1)).containsExactly(SIZE, SIZE);

            send.send("{\"type\":\"accepted\",\"id\":\"" + m.id() + "\"}");
            assertThat(m.settled().toCompletableFuture().get(10, TimeUnit.SECONDS).state()).isEqualTo(SendState.ACCEPTED);
            waitUntil(() -> !Files.exists(dir.resolve("data/uploads/" + m.id())));
        }
    }

    @Test
    void aRefusedUploadRejectsTheMessageWithItsCode() throws Exception {
        try (FakeWsServer ws = new FakeWsServer(0); FakeTusServer tus = new FakeTusServer();
             PigeonholeClient client = PigeonholeClient.start(options(ws, tus).build(), new Listener() {})) {
            tus.refuseCreate = "quota_exceeded";
            Outgoing m = client.send("bob", "{}", List.of(FileAttachment.of(file("big.bin", 1000), "application/octet-stream")));
            assertThat(m.settled().toCompletableFuture().get(10, TimeUnit.SECONDS).state()).isEqualTo(SendState.REJECTED);
            assertThat(m.rejectionCode()).isEqualTo("quota_exceeded");
            assertThat(client.pending()).isEmpty();
            assertThatThrownBy(() -> ws.accept("/v1/send", Duration.ofMillis(500))).isInstanceOf(AssertionError.class);
        }
    }

    @Test
    void aChildKilledMidUploadIsResumedBySameIdFromTheServersOffset() throws Exception {
        int size = 4 * 1024 * 1024;
        Path photo = file("photo.jpg", size);
        Path data = dir.resolve("alice-phone");
        try (FakeWsServer ws = new FakeWsServer(0); FakeTusServer tus = new FakeTusServer()) {
            tus.patchDelayMs = 150;
            List<String> cmd = List.of(ProcessHandle.current().info().command().orElse("java"), "-Xmx64m", "-cp",
                    System.getProperty("java.class.path"), UploadCrashMain.class.getName(), ws.url(), tus.url(),
                    data.toString(), photo.toString());
            Process child = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            String id;
            try {
                id = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8)).readLine();
                waitUntil(() -> tus.patchBytes.get() > size / 3);
            } finally {
                child.destroyForcibly().waitFor(10, TimeUnit.SECONDS); // SIGKILL mid-upload
            }
            long before = tus.patchBytes.get();
            assertThat(before).isLessThan(size);
            tus.patchDelayMs = 0;

            try (PigeonholeClient next = PigeonholeClient.start(options(ws, tus).dataDir(data).build(), new Listener() {})) {
                assertThat(next.pending()).extracting(Outgoing::id).containsExactly(id);
                FakeWsServer.Connection send = ws.accept("/v1/send", WAIT);
                JsonNode frame = Json.read(send.next("\"send\"", WAIT), JsonNode.class);
                assertThat(frame.get("id").asText()).isEqualTo(id);
                assertThat(tus.blob(frame.at("/attachments/0/ref").asText())).isEqualTo(Files.readAllBytes(photo));
                assertThat(tus.created()).as("the upload of the killed process was continued").isEqualTo(1);
                assertThat(tus.patchBytes.get()).as("bytes sent in total").isLessThan(size * 3L / 2);
            }
        }
    }

    @Test
    void aCutDownloadContinuesWithRangeAndChecksTheHash() throws Exception {
        byte[] bytes = Files.readAllBytes(file("blob", SIZE));
        try (FakeWsServer ws = new FakeWsServer(0); FakeTusServer tus = new FakeTusServer();
             PigeonholeClient client = PigeonholeClient.start(options(ws, tus).build(), new Listener() {})) {
            String ref = tus.putBlob(bytes);
            Path target = dir.resolve("out.jpg");
            Files.write(dir.resolve("out.jpg.part"), java.util.Arrays.copyOf(bytes, 1000)); // from an earlier run
            tus.cutNextDownloadAfter.set(500_000);
            assertThat(client.download(ref, target).get(20, TimeUnit.SECONDS)).isEqualTo(target);
            assertThat(Files.readAllBytes(target)).isEqualTo(bytes);
            assertThat(Files.exists(dir.resolve("out.jpg.part"))).isFalse();
            assertThat(tus.requests).contains("GET /v1/blobs/" + ref + " Range bytes=1000-",
                    "GET /v1/blobs/" + ref + " Range bytes=501000-");

            String lie = "sha256:" + "0".repeat(64);
            tus.putBlob(lie, bytes);
            assertThatThrownBy(() -> client.download(lie, dir.resolve("lie")).get(20, TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class).hasMessageContaining("do not hash");
            assertThat(Files.exists(dir.resolve("lie.part"))).isFalse();
            assertThatThrownBy(() -> client.download("sha256:" + "1".repeat(64), dir.resolve("none")).get(20, TimeUnit.SECONDS))
                    .hasMessageContaining("HTTP 404");
        }
    }

    @Test
    void downloadProgressIsReportedOnTheListenerFromWhereThePartFileWasToTheEnd() throws Exception {
        byte[] bytes = Files.readAllBytes(file("blob", SIZE));
        List<long[]> progress = new java.util.concurrent.CopyOnWriteArrayList<>();
        List<Path> targets = new java.util.concurrent.CopyOnWriteArrayList<>();
        List<String> threads = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (FakeWsServer ws = new FakeWsServer(0); FakeTusServer tus = new FakeTusServer();
             PigeonholeClient client = PigeonholeClient.start(options(ws, tus).build(), new Listener() {
                 @Override
                 public void onDownloadProgress(String ref, Path target, long received, long total) {
                     progress.add(new long[] {received, total});
                     targets.add(target);
                     threads.add(Thread.currentThread().getName());
                 }
             })) {
            String ref = tus.putBlob(bytes);
            Path target = dir.resolve("progress.jpg");
            Files.write(dir.resolve("progress.jpg.part"), java.util.Arrays.copyOf(bytes, 1000)); // from an earlier run
            tus.cutNextDownloadAfter.set(1_200_000);
            client.download(ref, target).get(20, TimeUnit.SECONDS);
            waitUntil(() -> !progress.isEmpty() && progress.get(progress.size() - 1)[0] == SIZE);
            assertThat(progress.get(0)).containsExactly(1000, SIZE); // continued: starts at what the .part had
            assertThat(progress).allSatisfy(p -> assertThat(p[1]).isEqualTo(SIZE));
            for (int i = 1; i < progress.size(); i++) {
                assertThat(progress.get(i)[0]).as("received, call %d", i).isGreaterThanOrEqualTo(progress.get(i - 1)[0]);
            }
            // once per 512 KiB, plus the start of each of the two answers and the end: not once per read
            assertThat(progress.size()).isBetween(SIZE / (512 * 1024), SIZE / (512 * 1024) + 5);
            assertThat(targets).containsOnly(target);
            assertThat(threads).allMatch(t -> t.startsWith("pigeonhole-listener"));
        }
    }

    @Test
    void smallAttachmentsAreDownloadedBeforeTheMessageIsHandedOverAndLargeOnesAreNot() throws Exception {
        byte[] small = java.util.Arrays.copyOf(Files.readAllBytes(file("small", SIZE)), 700_000);
        byte[] large = Files.readAllBytes(file("large", SIZE));
        Path files = dir.resolve("auto");
        List<String> calls = new CopyOnWriteArrayList<>();
        List<IncomingMessage> messages = new CopyOnWriteArrayList<>();
        try (FakeWsServer ws = new FakeWsServer(0); FakeTusServer tus = new FakeTusServer();
             PigeonholeClient client = PigeonholeClient.start(options(ws, tus).autoDownload(1_000_000, files).build(), new Listener() {
                 @Override
                 public void onMessage(IncomingMessage m) {
                     calls.add("message " + m.seq() + "|" + Thread.currentThread().getName());
                     messages.add(m);
                 }

                 @Override
                 public void onDownloadProgress(String ref, Path target, long received, long total) {
                     calls.add("progress " + (received == 0 || received == total ? received : "some") + "/" + total + "|"
                             + Thread.currentThread().getName());
                 }
             })) {
            String smallRef = tus.putBlob(small);
            String largeRef = tus.putBlob(large);
            String missing = "sha256:" + "4".repeat(64);
            Path smallFile = files.resolve(smallRef.substring("sha256:".length()));
            Files.createDirectories(files);
            // what a process killed mid-download left: the entry is handed over again, the download continues
            Files.write(files.resolve(smallFile.getFileName() + ".part"), java.util.Arrays.copyOf(small, 4096));
            FakeWsServer.Connection inbox = ws.accept("/v1/inbox", WAIT);
            inbox.send(LocalStoreClientTest.backlog(2, 5));
            inbox.send(withFiles(1, "{\"ref\":\"" + smallRef + "\",\"size\":700000,\"type\":\"image/jpeg\",\"name\":\"thumb.jpg\"}",
                    "{\"ref\":\"" + largeRef + "\",\"size\":" + SIZE + ",\"type\":\"video/mp4\",\"name\":\"clip.mp4\"}"));
            inbox.send(withFiles(2, "{\"ref\":\"" + missing + "\",\"size\":10,\"type\":\"text/plain\"}",
                    "{\"ref\":\"" + smallRef + "\",\"size\":700000,\"type\":\"image/jpeg\",\"name\":\"again.jpg\"}"));
            waitUntil(() -> messages.size() == 2);

            List<Attachment> first = messages.get(0).attachments();
            assertThat(first.get(0).file()).isEqualTo(smallFile);
            assertThat(Files.readAllBytes(smallFile)).isEqualTo(small);
            assertThat(first.get(1).file()).as("larger than the limit").isNull();
            List<Attachment> second = messages.get(1).attachments();
            assertThat(second.get(0).file()).as("HTTP 404: handed over without it").isNull();
            assertThat(second.get(1).file()).as("the same blob: there already").isEqualTo(smallFile);
            assertThat(tus.requests).containsOnlyOnce("GET /v1/blobs/" + smallRef + " Range bytes=4096-")
                    .filteredOn(r -> r.contains(smallRef)).hasSize(1);
            assertThat(tus.requests).noneMatch(r -> r.contains(largeRef));
            // the small file's progress, then the message: on the listener thread, in that order
            assertThat(calls).allMatch(c -> c.endsWith("|pigeonhole-listener alice/phone")).extracting(c -> c.substring(0, c.indexOf('|')))
                    .containsExactly("progress some/700000", "progress some/700000", "progress 700000/700000", "message 1", "message 2");
        }
    }

    private static String withFiles(long seq, String... attachments) {
        String m = LocalStoreClientTest.message(seq, "bob", "files");
        return m.substring(0, m.length() - 1) + ",\"attachments\":[" + String.join(",", attachments) + "]}";
    }

    private static void waitUntil(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within " + WAIT);
            }
            Thread.sleep(20);
        }
    }
}
