package dev.pigeonhole.client.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pigeonhole.client.FakeWsServer;
import dev.pigeonhole.protocol.Json;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Issue 15 in the CLI: nothing received is swallowed, {@code history}, and {@code send} exits when its answer is known. */
@Timeout(value = 90, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class LocalStoreCliTest extends ConsoleCliTest {
    private static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    Path dir;

    /** What the commands printed so far; starts over. */
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

    private FakeWsServer server() throws Exception {
        FakeWsServer s = new FakeWsServer(0);
        servers.add(s);
        return s;
    }

    private CompletableFuture<Integer> cli(String server, String... args) {
        List<String> all = new ArrayList<>(Arrays.asList(args));
        all.addAll(List.of("--server", server, "--user", "alice", "--device", "laptop", "--data-dir",
                dir.resolve("alice").toString(), "--ping-interval", "PT2S"));
        return CompletableFuture.supplyAsync(() -> new CommandLine(new PigeonholeCli()).execute(all.toArray(String[]::new)));
    }

    /** The next connections to each path (the send and inbox sockets open in any order). */
    private static Map<String, FakeWsServer.Connection> accept(FakeWsServer server, String... paths) throws Exception {
        Map<String, FakeWsServer.Connection> byPath = new HashMap<>();
        while (byPath.size() < paths.length) {
            FakeWsServer.Connection c = server.accept("/", WAIT);
            for (String p : paths) {
                if (c.path().startsWith(p)) {
                    byPath.putIfAbsent(p, c);
                }
            }
        }
        return byPath;
    }

    private static String message(long seq, String text) {
        return "{\"type\":\"message\",\"seq\":" + seq + ",\"id\":\"m-" + seq + "\",\"from\":\"bob\",\"fromDevice\":\"phone\","
                + "\"to\":\"alice\",\"body\":{\"text\":\"" + text + "\"},\"sentAt\":" + (1000 + seq) + ",\"own\":false}";
    }

    /**
     * Problem 1 of issue 15: Bob's "question 3" reaches Alice's device while she runs a {@code send}. It is not
     * swallowed: {@code history} shows it (offline), {@code chat} shows it as new when it starts, and a later
     * {@code tail} goes on from there without showing it twice.
     */
    @Test
    void whatASendReceivedIsShownByHistoryAndByTheNextChat() throws Exception {
        FakeWsServer server = server();
        CompletableFuture<Integer> send = cli(server.url(), "send", "--to", "bob", "--text", "answer 2");
        Map<String, FakeWsServer.Connection> sockets = accept(server, "/v1/inbox", "/v1/send");
        FakeWsServer.Connection inbox = sockets.get("/v1/inbox");
        inbox.send("{\"type\":\"backlog\",\"count\":1,\"oldest\":5,\"oldestSentAt\":1005,\"head\":5,\"epoch\":9}");
        inbox.send(message(5, "question 3"));
        long acked = 0;
        while (acked < 5) {
            acked = Json.read(inbox.next("\"ack\"", WAIT), JsonNode.class).get("seq").asLong();
        }
        JsonNode frame = Json.read(sockets.get("/v1/send").next("\"send\"", WAIT), JsonNode.class);
        sockets.get("/v1/send").send("{\"type\":\"accepted\",\"id\":\"" + frame.get("id").asText() + "\"}");
        assertThat(send.get(10, TimeUnit.SECONDS)).isEqualTo(PigeonholeCli.OK);
        assertThat(takeOut()).contains("accepted " + frame.get("id").asText());
        assertThat(takeErr()).contains("1 received message(s) not shown yet");
        server.close();

        String offline = "ws://127.0.0.1:" + FakeWsServer.freePort();
        assertThat(cli(offline, "history", "--wait", "PT5S").get(10, TimeUnit.SECONDS)).isEqualTo(PigeonholeCli.OK);
        assertThat(takeOut()).isEqualTo("[5] bob: question 3" + System.lineSeparator());
        assertThat(takeErr()).contains("server not reached");

        System.setIn(new ByteArrayInputStream("/quit\n".getBytes(StandardCharsets.UTF_8)));
        assertThat(cli(offline, "chat", "--to", "bob").get(10, TimeUnit.SECONDS)).isEqualTo(PigeonholeCli.OK);
        assertThat(takeOut()).contains("[5] bob: question 3");

        FakeWsServer again = server();
        CompletableFuture<Integer> tail = cli(again.url(), "tail", "--count", "1");
        FakeWsServer.Connection inbox2 = again.accept("/v1/inbox", WAIT);
        assertThat(inbox2.path()).contains("after=5").contains("epoch=9");
        inbox2.send(message(6, "question 4"));
        assertThat(tail.get(10, TimeUnit.SECONDS)).isEqualTo(PigeonholeCli.OK);
        String tailed = takeOut();
        assertThat(tailed).doesNotContain("question 3");
        assertThat(Json.read(tailed, JsonNode.class).get("seq").asLong()).isEqualTo(6);
        assertThat(Json.read(tailed, JsonNode.class).at("/body/text").asText()).isEqualTo("question 4");
    }

    /**
     * Problem 4 of issue 15: offline, {@code send} gives up after a few seconds (not 30), says that the server is
     * unreachable and that the message stays queued, and exits 3; {@code history} lists it as queued.
     */
    @Test
    void anOfflineSendSaysTheServerIsUnreachableAndKeepsTheMessageQueued() throws Exception {
        String offline = "ws://127.0.0.1:" + FakeWsServer.freePort();
        long start = System.nanoTime();
        int exit = cli(offline, "send", "--to", "bob", "--text", "from the tunnel").get(20, TimeUnit.SECONDS);
        System.out.flush();
        savedOut.println("offline send exited after " + (System.nanoTime() - start) / 1_000_000 + " ms");
        assertThat(exit).isEqualTo(PigeonholeCli.STILL_QUEUED);
        assertThat(takeOut()).startsWith("queued ");
        assertThat(takeErr()).contains("server unreachable (" + offline + ")").contains("1 message(s) stay queued");

        assertThat(cli(offline, "history", "--wait", "PT0S").get(10, TimeUnit.SECONDS)).isEqualTo(PigeonholeCli.OK);
        assertThat(takeOut()).isEqualTo("  queued -> bob: from the tunnel (not sent yet)" + System.lineSeparator());
    }
}
