package dev.pigeonhole.client.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pigeonhole.client.FakeWsServer;
import dev.pigeonhole.protocol.Json;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Issue 15, problems 3 and 6: a displaced {@code tail} stops and says so (exit 4), a second command on a data
 * directory in use says so in one line (exit 5), and the chat: the connection state before anything typed is
 * answered, state lines naming a message by its text, {@code /pending} lists the texts, old receipts summed up in one
 * line. Commands run in-process (as {@code LocalStoreCliTest}) against a server played by the test; the data directory
 * test runs the second command as its own JVM, as a user would.
 */
@Timeout(value = 90, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class RefusalAndChatCliTest extends ConsoleCliTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final String NL = System.lineSeparator();

    @TempDir
    Path dir;

    private final List<Process> processes = new ArrayList<>();

    @AfterEach
    void stopProcesses() {
        processes.forEach(Process::destroyForcibly);
    }

    private String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    private String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    private List<String> outLines() {
        return List.of(out().split(NL));
    }

    private FakeWsServer server() throws Exception {
        FakeWsServer s = new FakeWsServer(0);
        servers.add(s);
        return s;
    }

    private static String offline() throws Exception {
        return "ws://127.0.0.1:" + FakeWsServer.freePort();
    }

    private Path dataDir() {
        return dir.resolve("alice").toAbsolutePath().normalize();
    }

    private List<String> args(String server, String... args) {
        List<String> all = new ArrayList<>(Arrays.asList(args));
        all.addAll(List.of("--server", server, "--user", "alice", "--device", "laptop", "--data-dir", dataDir().toString(),
                "--ping-interval", "PT2S"));
        return all;
    }

    private CompletableFuture<Integer> cli(String server, String... args) {
        List<String> all = args(server, args);
        return CompletableFuture.supplyAsync(() -> new CommandLine(new PigeonholeCli()).execute(all.toArray(String[]::new)));
    }

    /** Waits until stdout has the line. */
    private void awaitOut(String line) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!outLines().contains(line)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no line '" + line + "' within " + WAIT + "; printed:" + NL + out());
            }
            Thread.sleep(20);
        }
    }

    private static String backlog(long count) {
        return "{\"type\":\"backlog\",\"count\":" + count + ",\"oldest\":1,\"oldestSentAt\":1000,\"head\":" + count
                + ",\"epoch\":9}";
    }

    private static String receipt(long seq, String id, String status, int devices) {
        return "{\"type\":\"receipt\",\"seq\":" + seq + ",\"by\":\"bob\",\"status\":\"" + status + "\",\"messages\":[{\"id\":\""
                + id + "\",\"to\":\"bob\",\"devices\":" + devices + ",\"of\":" + (status.equals("read") ? 0 : 2) + "}],\"at\":"
                + (2000 + seq) + "}";
    }

    /** Problem 3: another client of the same device takes the inbox (4103). tail said nothing and ran forever. */
    @Test
    void aDisplacedTailSaysSoAndExitsWithFour() throws Exception {
        FakeWsServer server = server();
        CompletableFuture<Integer> tail = cli(server.url(), "tail");
        FakeWsServer.Connection inbox = server.accept("/v1/inbox", WAIT);
        inbox.send(backlog(0));
        inbox.close(4103, "displaced by a newer connection of this device");
        assertThat(tail.get(10, TimeUnit.SECONDS)).isEqualTo(4);
        assertThat(err()).contains("* displaced: another client of alice/laptop took this device's inbox (4103); stopping" + NL);
        assertThat(out()).isEmpty();
    }

    /** Problem 3 in the chat: displaced while waiting for input, the chat says so and exits with 4. */
    @Test
    void aDisplacedChatSaysSoAndExitsWithFour() throws Exception {
        FakeWsServer server = server();
        PipedOutputStream typing = new PipedOutputStream();
        System.setIn(new PipedInputStream(typing));
        CompletableFuture<Integer> chat = cli(server.url(), "chat", "--to", "bob");
        FakeWsServer.Connection inbox = server.accept("/v1/inbox", WAIT);
        awaitOut("* online");
        inbox.close(4103, "displaced by a newer connection of this device");
        assertThat(chat.get(10, TimeUnit.SECONDS)).isEqualTo(4);
        assertThat(outLines()).containsExactly(
                "alice/laptop -> bob. Type and press Enter. /to USER, /pending, /save N [PATH], /quit",
                "* online",
                "* displaced: another client of alice/laptop took this device's inbox (4103); stopping");
        typing.close();
    }

    /** A refused send said "server unreachable" 3 s later and exited 3; now it stops at once with the reason, exit 4. */
    @Test
    void aRefusedSendSaysWhyAndExitsWithFour() throws Exception {
        FakeWsServer server = server();
        CompletableFuture<Integer> send = cli(server.url(), "send", "--to", "bob", "--text", "hi");
        FakeWsServer.Connection inbox = server.accept("/v1/inbox", WAIT);
        inbox.close(4100, "bearer token required");
        assertThat(send.get(10, TimeUnit.SECONDS)).isEqualTo(4);
        assertThat(out()).startsWith("queued ");
        assertThat(err()).startsWith("* unauthorized (4100): bearer token required (check --token or $PIGEONHOLE_TOKEN)" + NL)
                .contains("* refused by the server (see above): 1 message(s) stay queued in " + dataDir())
                .doesNotContain("unreachable");
    }

    /**
     * Problem 3: a second command on a data directory another one uses. It failed with a stack trace and exit 1; now
     * one line naming the directory and the process that holds it, and exit 5. The second command is its own JVM.
     */
    @Test
    void aSecondCommandOnADataDirectoryInUseSaysSoInOneLineAndExitsWithFive() throws Exception {
        FakeWsServer server = server();
        CompletableFuture<Integer> tail = cli(server.url(), "tail");
        FakeWsServer.Connection inbox = server.accept("/v1/inbox", WAIT); // tail holds the data directory now

        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"), "-Xmx64m",
                "-cp", System.getProperty("java.class.path"), PigeonholeCli.class.getName()));
        cmd.addAll(args(offline(), "send", "--to", "bob", "--text", "hi"));
        Process second = new ProcessBuilder(cmd).start();
        processes.add(second);
        CompletableFuture<String> secondErr = CompletableFuture.supplyAsync(() -> read(second.getErrorStream()));
        String secondOut = read(second.getInputStream());
        assertThat(second.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(secondErr.get(5, TimeUnit.SECONDS)).isEqualTo("* another pigeonhole-cli is using " + dataDir() + " (pid "
                + ProcessHandle.current().pid() + "); close it or use --data-dir" + NL);
        assertThat(second.exitValue()).isEqualTo(5);
        assertThat(secondOut).isEmpty();

        inbox.close(4103, "displaced");
        assertThat(tail.get(10, TimeUnit.SECONDS)).isEqualTo(4);
    }

    private static String read(InputStream in) {
        try {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /**
     * Problem 6: a chat started while the server is down printed what was typed before it said it was offline. Now
     * the state comes first, and the queued line names the text.
     */
    @Test
    void aChatStartedOfflineSaysSoBeforeAnythingTypedIsAnswered() throws Exception {
        System.setIn(new ByteArrayInputStream("hello bob\n/quit\n".getBytes(StandardCharsets.UTF_8)));
        assertThat(cli(offline(), "chat", "--to", "bob").get(20, TimeUnit.SECONDS)).isEqualTo(PigeonholeCli.OK);
        assertThat(outLines()).containsExactly(
                "alice/laptop -> bob. Type and press Enter. /to USER, /pending, /save N [PATH], /quit",
                "* offline (retrying)",
                "  (queued: \"hello bob\"; offline, 1 waiting)");
    }

    /** Problem 6: /pending printed only a count; the README says it lists what waits. */
    @Test
    void pendingListsTheQueuedTexts() throws Exception {
        System.setIn(new ByteArrayInputStream(("first line\nsecond line, which is rather longer than forty characters\n"
                + "/pending\n/quit\n").getBytes(StandardCharsets.UTF_8)));
        assertThat(cli(offline(), "chat", "--to", "bob").get(20, TimeUnit.SECONDS)).isEqualTo(PigeonholeCli.OK);
        List<String> lines = outLines();
        assertThat(lines).contains("  (queued: \"second line, which is rather longer t...\"; offline, 2 waiting)");
        int listed = lines.indexOf("  2 queued (offline):");
        assertThat(listed).as(out()).isPositive();
        assertThat(lines.subList(listed + 1, lines.size())).hasSize(2);
        assertThat(lines.get(listed + 1)).matches("    [0-9a-f]{8} -> bob: first line");
        assertThat(lines.get(listed + 2)).matches(
                "    [0-9a-f]{8} -> bob: second line, which is rather longer than forty characters");
    }

    /**
     * Problem 6: opening a chat flooded it with one line per receipt for old messages. Now one line sums them up
     * (they stay in the store: history shows them).
     */
    @Test
    void receiptsForEarlierMessagesAreSummedUpInOneLine() throws Exception {
        FakeWsServer server = server();
        PipedOutputStream typing = new PipedOutputStream();
        System.setIn(new PipedInputStream(typing));
        CompletableFuture<Integer> chat = cli(server.url(), "chat", "--to", "bob");
        FakeWsServer.Connection inbox = server.accept("/v1/inbox", WAIT);
        awaitOut("* online");
        inbox.send(backlog(12));
        for (int seq = 1; seq <= 12; seq++) {
            inbox.send(receipt(seq, "old-" + seq, "delivered", 1));
        }
        inbox.send("{\"type\":\"caught_up\",\"seq\":12,\"epoch\":9}");
        awaitOut("  (12 receipts for earlier messages; history shows them)");
        typing.write("/quit\n".getBytes(StandardCharsets.UTF_8));
        typing.flush();
        assertThat(chat.get(10, TimeUnit.SECONDS)).isEqualTo(PigeonholeCli.OK);
        assertThat(outLines()).containsExactly(
                "alice/laptop -> bob. Type and press Enter. /to USER, /pending, /save N [PATH], /quit",
                "* online",
                "  (12 receipts for earlier messages; history shows them)");
        typing.close();
    }

    /**
     * Problem 6: a sent line showed "(sent 2faf3514)", an id prefix, and every receipt was a line of its own. Now each
     * state of a message typed in this chat is one line naming its text, once, only forward: sent, delivered, read.
     */
    @Test
    void aSentLineIsNamedByItsTextAndItsStateMovesForward() throws Exception {
        FakeWsServer server = server();
        PipedOutputStream typing = new PipedOutputStream();
        System.setIn(new PipedInputStream(typing));
        CompletableFuture<Integer> chat = cli(server.url(), "chat", "--to", "bob");
        FakeWsServer.Connection inbox = server.accept("/v1/inbox", WAIT);
        awaitOut("* online");
        inbox.send(backlog(0));
        inbox.send("{\"type\":\"caught_up\",\"seq\":0,\"epoch\":9}");
        typing.write("hello bob\n".getBytes(StandardCharsets.UTF_8));
        typing.flush();
        FakeWsServer.Connection send = server.accept("/v1/send", WAIT);
        String id = Json.read(send.next("\"send\"", WAIT), JsonNode.class).get("id").asText();
        send.send("{\"type\":\"accepted\",\"id\":\"" + id + "\"}");
        awaitOut("  (sent: \"hello bob\")");
        inbox.send(receipt(1, id, "delivered", 1));
        inbox.send(receipt(2, id, "delivered", 2));
        inbox.send(receipt(3, id, "read", 0));
        inbox.send(receipt(4, id, "delivered", 2)); // late: read already said
        awaitOut("  (read by bob: \"hello bob\")");
        typing.write("/quit\n".getBytes(StandardCharsets.UTF_8));
        typing.flush();
        assertThat(chat.get(10, TimeUnit.SECONDS)).isEqualTo(PigeonholeCli.OK);
        assertThat(outLines()).containsExactly(
                "alice/laptop -> bob. Type and press Enter. /to USER, /pending, /save N [PATH], /quit",
                "* online",
                "  (sent: \"hello bob\")",
                "  (delivered to bob: \"hello bob\")",
                "  (read by bob: \"hello bob\")");
        typing.close();
    }

    /**
     * Problem 6: after a server stop the chat said offline, online, offline: the server closes the socket (1001), the
     * client reconnects at once, and a handshake that still gets through is closed right away (1013) — the SDK reports
     * that as online for a moment. Now a state is printed once it held for a second: one "offline".
     */
    @Test
    void aServerGoingDownDoesNotFlapTheStateLine() throws Exception {
        FakeWsServer server = server();
        PipedOutputStream typing = new PipedOutputStream();
        System.setIn(new PipedInputStream(typing));
        CompletableFuture<Integer> chat = cli(server.url(), "chat", "--to", "bob");
        FakeWsServer.Connection inbox = server.accept("/v1/inbox", WAIT);
        awaitOut("* online");
        inbox.close(1001, "draining; reconnect with backoff");
        FakeWsServer.Connection again = server.accept("/v1/inbox", WAIT);
        again.close(1013, "starting");
        server.close(); // gone: every further attempt is refused
        awaitOut("* offline (retrying)");
        Thread.sleep(2000); // twice the time a state must hold before it is printed
        typing.write("/quit\n".getBytes(StandardCharsets.UTF_8));
        typing.flush();
        assertThat(chat.get(10, TimeUnit.SECONDS)).isEqualTo(PigeonholeCli.OK);
        assertThat(outLines()).containsExactly(
                "alice/laptop -> bob. Type and press Enter. /to USER, /pending, /save N [PATH], /quit",
                "* online",
                "* offline (retrying)");
        typing.close();
    }
}
