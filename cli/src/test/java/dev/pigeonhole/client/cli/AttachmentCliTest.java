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
}
