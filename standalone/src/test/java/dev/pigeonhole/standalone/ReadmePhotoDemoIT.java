package dev.pigeonhole.standalone;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pigeonhole.protocol.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The README's "Photos while offline", played as written: a 20 MB file sent by {@code pigeonhole-cli send --file}
 * while the standalone is down arrives once it is back ({@code flush}), and the recipient, offline until then,
 * saves it with {@code tail --save-dir} and downloads it with the right hash.
 */
class ReadmePhotoDemoIT {
    private static final Duration WAIT = Duration.ofSeconds(90);
    private static final int SIZE = 20_000_000;

    @Test
    void aPhotoSentWhileTheServerIsDownArrivesAndIsDownloaded() throws Exception {
        Path data = Files.createTempDirectory("pigeonhole-photo-demo-it");
        int port = EmbeddedKafka.freePort();
        String url = "ws://127.0.0.1:" + port;
        ServiceProcess server = null;
        try {
            byte[] bytes = new byte[SIZE];
            new Random(14).nextBytes(bytes);
            Path photo = Files.write(data.resolve("photo.jpg"), bytes);

            Result send = cli(data, url, "alice", "send", "--to", "bob", "--text", "lunch?", "--file", photo.toString());
            assertThat(send.exit).as(send.err).isEqualTo(3);
            assertThat(send.out).startsWith("queued ");

            server = ServiceProcess.standalone("photo-demo", port, data.resolve("server")).start().awaitReady(WAIT);
            Result flush = cli(data, url, "alice", "flush");
            assertThat(flush.exit).as(flush.err).isZero();
            assertThat(flush.out).contains("accepted " + send.out.substring("queued ".length()).strip());
            assertThat(flush.err).contains("\rphoto.jpg  [##########] 100% 20.0/20.0 MB\n");

            Path saves = data.resolve("bob-files");
            Result tail = cli(data, url, "bob", "tail", "--count", "1", "--save-dir", saves.toString());
            assertThat(tail.exit).as(tail.err).isZero();
            assertThat(tail.err).contains("\rphoto.jpg  [##########] 100% 20.0/20.0 MB\nsaved " + saves.resolve("photo.jpg"));
            assertThat(Files.readAllBytes(saves.resolve("photo.jpg"))).isEqualTo(bytes);
            JsonNode a = Json.read(tail.out, JsonNode.class).get("attachments").get(0);
            String ref = a.get("ref").asText();
            assertThat(ref).isEqualTo("sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes)));
            assertThat(a.get("size").asLong()).isEqualTo(SIZE);

            Path got = data.resolve("got.jpg");
            Result download = cli(data, url, "bob", "download", "--ref", ref, "--out", got.toString());
            assertThat(download.exit).as(download.err).isZero();
            assertThat(Files.readAllBytes(got)).isEqualTo(bytes);
        } finally {
            if (server != null) {
                server.stop();
            }
            TestFiles.delete(data);
        }
    }

    private record Result(int exit, String out, String err) {}

    /** One CLI command in its own JVM, with its stderr (the progress bar) kept. */
    private static Result cli(Path data, String url, String user, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"), "-Xmx128m",
                "-cp", System.getProperty("java.class.path"), "dev.pigeonhole.client.cli.PigeonholeCli"));
        cmd.addAll(List.of(args));
        cmd.addAll(List.of("--server", url, "--user", user, "--device", "phone", "--data-dir", data.resolve(user).toString()));
        Path err = Files.createTempFile(data, "err", ".txt");
        Process p = new ProcessBuilder(cmd).redirectError(err.toFile()).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        return new Result(p.exitValue(), out, Files.readString(err));
    }
}
