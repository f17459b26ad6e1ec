package dev.pigeonhole.client.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pigeonhole.client.FakeTusServer;
import dev.pigeonhole.client.FakeWsServer;
import dev.pigeonhole.protocol.Json;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Files in the CLI: send --file queued offline with a progress bar, attachments in history and tail, download. */
@Timeout(value = 90, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class AttachmentCliTest extends ConsoleCliTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final int SIZE = 2_100_000;

    @TempDir
    Path dir;

    private final FakeTusServer tus;

    AttachmentCliTest() throws Exception {
        tus = new FakeTusServer();
    }

    @AfterEach
    void stopTus() {
        tus.close();
    }

    private String takeOut() {
        String s = out.toString(StandardCharsets.UTF_8);
        out.reset();
        return s;
    }

    private String takeErr() {
        String s = err.toString(StandardCharsets.UTF_8);
        err.reset();
        return s;
    }

    private CompletableFuture<Integer> cli(String server, String... args) {
        List<String> all = new ArrayList<>(Arrays.asList(args));
        all.addAll(List.of("--server", server, "--http-server", tus.url(), "--user", "alice", "--device", "laptop",
                "--data-dir", dir.resolve("alice").toString(), "--ping-interval", "PT2S"));
        return CompletableFuture.supplyAsync(() -> new CommandLine(new PigeonholeCli()).execute(all.toArray(String[]::new)));
    }

    private byte[] bytes() {
        byte[] b = new byte[SIZE];
        new Random(7).nextBytes(b);
        return b;
    }

    @Test
    void aFileSentOfflineUploadsWithAProgressBarWhenTheServerIsBack() throws Exception {
        Path photo = Files.write(dir.resolve("photo.jpg"), bytes());
        String offline = "ws://127.0.0.1:" + FakeWsServer.freePort();
        tus.down = true;
        assertThat(cli(offline, "send", "--to", "bob", "--text", "lunch?", "--file", photo.toString())
                .get(20, TimeUnit.SECONDS)).isEqualTo(PigeonholeCli.STILL_QUEUED);
        assertThat(takeOut()).startsWith("queued ");
        assertThat(takeErr()).contains("1 message(s) stay queued");
        assertThat(tus.created()).isZero();

        tus.down = false;
        FakeWsServer server = new FakeWsServer(0);
        servers.add(server);
        CompletableFuture<Integer> flush = cli(server.url(), "flush");
        FakeWsServer.Connection send = server.accept("/v1/send", WAIT);
        JsonNode frame = Json.read(send.next("\"send\"", WAIT), JsonNode.class);
        assertThat(frame.at("/body/text").asText()).isEqualTo("lunch?");
        assertThat(frame.at("/attachments/0/name").asText()).isEqualTo("photo.jpg");
        assertThat(frame.at("/attachments/0/type").asText()).isEqualTo("image/jpeg");
        assertThat(tus.blob(frame.at("/attachments/0/ref").asText())).isEqualTo(Files.readAllBytes(photo));
        send.send("{\"type\":\"accepted\",\"id\":\"" + frame.get("id").asText() + "\"}");
        assertThat(flush.get(20, TimeUnit.SECONDS)).isEqualTo(PigeonholeCli.OK);
        assertThat(takeErr()).contains("\rphoto.jpg  [####......] 49% 1.0/2.1 MB")
                .contains("\rphoto.jpg  [##########] 100% 2.1/2.1 MB\n");
        assertThat(takeOut()).contains("accepted " + frame.get("id").asText());
    }

    @Test
    void historyAndTailShowAttachmentsAndDownloadSavesOne() throws Exception {
        byte[] bytes = bytes();
        String ref = tus.putBlob(bytes);
        FakeWsServer server = new FakeWsServer(0);
        servers.add(server);
        CompletableFuture<Integer> tail = cli(server.url(), "tail", "--count", "1");
        server.accept("/v1/inbox", WAIT).send("{\"type\":\"message\",\"seq\":3,\"id\":\"m-3\",\"from\":\"bob\","
                + "\"fromDevice\":\"phone\",\"to\":\"alice\",\"body\":{\"text\":\"lunch?\"},\"attachments\":[{\"ref\":\""
                + ref + "\",\"size\":" + SIZE + ",\"type\":\"image/jpeg\",\"name\":\"photo.jpg\"}],\"sentAt\":1003,\"own\":false}");
        assertThat(tail.get(10, TimeUnit.SECONDS)).isEqualTo(PigeonholeCli.OK);
        JsonNode line = Json.read(takeOut(), JsonNode.class);
        assertThat(line.at("/attachments/0/ref").asText()).isEqualTo(ref);
        assertThat(line.at("/attachments/0/size").asLong()).isEqualTo(SIZE);
        server.close();

        String offline = "ws://127.0.0.1:" + FakeWsServer.freePort();
        assertThat(cli(offline, "history", "--wait", "PT0S").get(10, TimeUnit.SECONDS)).isEqualTo(PigeonholeCli.OK);
        assertThat(takeOut()).isEqualTo("[3] bob: lunch? [photo.jpg 2.1 MB]" + System.lineSeparator());

        Path target = dir.resolve("saved.jpg");
        Files.write(dir.resolve("saved.jpg.part"), Arrays.copyOf(bytes, 4096)); // a cut earlier run
        tus.cutNextDownloadAfter.set(700_000);
        assertThat(cli(offline, "download", "--ref", ref, "--out", target.toString()).get(20, TimeUnit.SECONDS))
                .isEqualTo(PigeonholeCli.OK);
        assertThat(Files.readAllBytes(target)).isEqualTo(bytes);
        assertThat(tus.requests).contains("GET /v1/blobs/" + ref + " Range bytes=4096-");

        assertThat(cli(offline, "download", "--ref", "sha256:" + "2".repeat(64), "--out", dir.resolve("x").toString())
                .get(20, TimeUnit.SECONDS)).isEqualTo(PigeonholeCli.REJECTED);
        assertThat(takeErr()).contains("HTTP 404");
    }

    private static String message(long seq, String text, String... attachments) {
        return "{\"type\":\"message\",\"seq\":" + seq + ",\"id\":\"m-" + seq + "\",\"from\":\"bob\",\"fromDevice\":\"phone\","
                + "\"to\":\"alice\",\"body\":{\"text\":\"" + text + "\"},\"attachments\":[" + String.join(",", attachments)
                + "],\"sentAt\":" + (1000 + seq) + ",\"own\":false}";
    }

    private static String attachment(String ref, long size, String name) {
        return "{\"ref\":\"" + ref + "\",\"size\":" + size + ",\"type\":\"image/jpeg\",\"name\":\"" + name + "\"}";
    }

    @Test
    void tailSavesEachAttachmentAsItArrivesWithoutOverwritingAndSaysWhatFailed() throws Exception {
        byte[] photo = bytes();
        byte[] small = "a small file".getBytes(StandardCharsets.UTF_8);
        String photoRef = tus.putBlob(photo);
        String smallRef = tus.putBlob(small);
        Path saves = dir.resolve("saves");
        Files.createDirectories(saves);
        Files.writeString(saves.resolve("photo.jpg"), "another photo, kept"); // taken by other bytes
        Files.write(saves.resolve("notes.txt"), small); // saved before: not downloaded again
        FakeWsServer server = new FakeWsServer(0);
        servers.add(server);
        CompletableFuture<Integer> tail = cli(server.url(), "tail", "--count", "2", "--save-dir", saves.toString());
        FakeWsServer.Connection inbox = server.accept("/v1/inbox", WAIT);
        inbox.send(message(3, "lunch?", attachment(photoRef, SIZE, "photo.jpg"), attachment(smallRef, small.length, "../notes.txt")));
        inbox.send(message(4, "gone", attachment("sha256:" + "3".repeat(64), 10, "gone.jpg")));
        assertThat(tail.get(30, TimeUnit.SECONDS)).as("a refused download").isEqualTo(PigeonholeCli.REJECTED);

        assertThat(Files.readString(saves.resolve("photo.jpg"))).isEqualTo("another photo, kept");
        assertThat(Files.readAllBytes(saves.resolve("photo-1.jpg"))).isEqualTo(photo);
        assertThat(Files.readAllBytes(saves.resolve("notes.txt"))).isEqualTo(small);
        assertThat(saves.resolve("gone.jpg")).doesNotExist();
        try (var files = Files.list(saves)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("photo.jpg", "photo-1.jpg", "notes.txt");
        }
        String[] lines = takeOut().split(System.lineSeparator());
        assertThat(lines).hasSize(2); // stdout: one JSON line per message, as without --save-dir
        assertThat(Json.read(lines[0], JsonNode.class).at("/attachments/0/ref").asText()).isEqualTo(photoRef);
        String err = takeErr();
        assertThat(err).contains("\rphoto-1.jpg  [..........] 0% 0.0/2.1 MB", "\rphoto-1.jpg  [##########] 100% 2.1/2.1 MB\n"
                        + "saved " + saves.resolve("photo-1.jpg") + "\n",
                "* already saved " + saves.resolve("notes.txt") + "\n",
                "* could not save " + saves.resolve("gone.jpg") + ": HTTP 404");
        assertThat(err.indexOf("saved " + saves.resolve("photo-1.jpg"))).isLessThan(err.indexOf("* already saved"));
    }

    @Test
    void tailSaveDirContinuesThePartFileOfAnEarlierRunAndACut() throws Exception {
        byte[] photo = bytes();
        String ref = tus.putBlob(photo);
        Path saves = Files.createDirectories(dir.resolve("saves"));
        Files.write(saves.resolve("clip.mp4.part"), Arrays.copyOf(photo, 4096)); // a tail killed mid-download
        FakeWsServer server = new FakeWsServer(0);
        servers.add(server);
        tus.cutNextDownloadAfter.set(600_000);
        CompletableFuture<Integer> tail = cli(server.url(), "tail", "--count", "1", "--save-dir", saves.toString());
        FakeWsServer.Connection inbox = server.accept("/v1/inbox", WAIT);
        inbox.send(message(5, "clip", attachment(ref, SIZE, "clip.mp4")));
        assertThat(tail.get(30, TimeUnit.SECONDS)).isEqualTo(PigeonholeCli.OK);
        assertThat(Files.readAllBytes(saves.resolve("clip.mp4"))).isEqualTo(photo);
        assertThat(saves.resolve("clip.mp4.part")).doesNotExist();
        // the first answer is cut 600000 bytes in: the next request continues from what reached the .part
        assertThat(tus.requests).hasSize(2).first().isEqualTo("GET /v1/blobs/" + ref + " Range bytes=4096-");
        assertThat(tus.requests.get(1)).matches("GET /v1/blobs/" + ref + " Range bytes=\\d+-");
        assertThat(Long.parseLong(tus.requests.get(1).replaceAll(".*bytes=(\\d+)-", "$1"))).isBetween(4097L, 604096L);
        assertThat(takeErr()).contains("\rclip.mp4  [##########] 100% 2.1/2.1 MB\nsaved " + saves.resolve("clip.mp4"));
    }

    @Test
    void chatSavesAMessagesFilesByTheNumberShown() throws Exception {
        byte[] photo = bytes();
        String ref = tus.putBlob(photo);
        FakeWsServer server = new FakeWsServer(0);
        servers.add(server);
        java.io.PipedOutputStream typing = new java.io.PipedOutputStream();
        System.setIn(new java.io.PipedInputStream(typing));
        CompletableFuture<Integer> chat = cli(server.url(), "chat", "--to", "bob");
        FakeWsServer.Connection inbox = server.accept("/v1/inbox", WAIT);
        inbox.send(message(7, "lunch?", attachment(ref, SIZE, "photo.jpg")));
        awaitOut("[7] bob: lunch? [photo.jpg 2.1 MB]");
        Path saves = dir.resolve("chat saves");
        Path named = dir.resolve("named.jpg");
        type(typing, "/save 7 " + named);
        awaitOut("  (saved: " + named + ")");
        type(typing, "/save 7 " + saves + "/");
        awaitOut("  (saved: " + saves.resolve("photo.jpg") + ")");
        type(typing, "/save 7 " + saves);
        awaitOut("  (already saved: " + saves.resolve("photo.jpg") + ")");
        type(typing, "/save 8");
        awaitOut("  (message [8] has no files)");
        type(typing, "/save that");
        awaitOut("  usage: /save N [PATH] (N: the number in brackets before a message with files)");
        type(typing, "/quit");
        assertThat(chat.get(20, TimeUnit.SECONDS)).isEqualTo(PigeonholeCli.OK);
        assertThat(Files.readAllBytes(named)).isEqualTo(photo);
        assertThat(Files.readAllBytes(saves.resolve("photo.jpg"))).isEqualTo(photo);
        String shown = takeOut();
        assertThat(shown).contains("[7] bob: lunch? [photo.jpg 2.1 MB]" + System.lineSeparator() + "  (/save 7 saves its file)",
                "  (saving photo.jpg 2.1 MB to " + named + ")");
    }

    private static void type(java.io.PipedOutputStream typing, String line) throws Exception {
        typing.write((line + "\n").getBytes(StandardCharsets.UTF_8));
        typing.flush();
    }

    private void awaitOut(String text) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!out.toString(StandardCharsets.UTF_8).contains(text)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no '" + text + "' in: " + out.toString(StandardCharsets.UTF_8));
            }
            Thread.sleep(20);
        }
    }
}
