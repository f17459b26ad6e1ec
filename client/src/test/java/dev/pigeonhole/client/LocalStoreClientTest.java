package dev.pigeonhole.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pigeonhole.protocol.Json;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The local message store and at-least-once delivery to the listener, against a server played by the test. */
@Timeout(value = 90, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class LocalStoreClientTest {
    private static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    Path dir;

    private final List<AutoCloseable> closeLater = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        Collections.reverse(closeLater);
        for (AutoCloseable c : closeLater) {
            c.close();
        }
    }

    private PigeonholeClient start(String url, Path dataDir, Listener listener) {
        return start(url, "phone", dataDir, listener);
    }

    private PigeonholeClient start(String url, String device, Path dataDir, Listener listener) {
        PigeonholeClient c = PigeonholeClient.start(ClientOptions.builder(URI.create(url), "alice", device)
                .dataDir(dataDir).pingInterval(Duration.ofSeconds(2)).backoff(Duration.ofMillis(20), Duration.ofMillis(200))
                .connectTimeout(Duration.ofSeconds(2)).build(), listener);
        closeLater.add(c);
        return c;
    }

    private FakeWsServer server() throws Exception {
        FakeWsServer s = new FakeWsServer(0);
        closeLater.add(s);
        return s;
    }

    static String backlog(long head, long epoch) {
        return "{\"type\":\"backlog\",\"count\":0,\"head\":" + head + ",\"epoch\":" + epoch + "}";
    }

    static String message(long seq, String from, String text) {
        return "{\"type\":\"message\",\"seq\":" + seq + ",\"id\":\"m-" + seq + "\",\"from\":\"" + from
                + "\",\"fromDevice\":\"laptop\",\"to\":\"alice\",\"body\":{\"text\":\"" + text + "\"},\"sentAt\":" + (1000 + seq)
                + ",\"own\":false}";
    }

    private static long awaitAck(FakeWsServer.Connection c, long seq) throws InterruptedException {
        long acked = 0;
        while (acked < seq) {
            acked = Json.read(c.next("\"ack\"", WAIT), JsonNode.class).get("seq").asLong();
        }
        return acked;
    }

    @Test
    void whatAClientReceivedIsReadableByTheNextOneOfflineWhetherOrNotItsListenerSawIt() throws Exception {
        FakeWsServer server = server();
        PigeonholeClient first = start(server.url(), dir, new Listener() {});
        FakeWsServer.Connection inbox = server.accept("/v1/inbox", WAIT);
        inbox.send(backlog(6, 77));
        inbox.send(message(5, "bob", "question 3"));
        inbox.send("{\"type\":\"receipt\",\"seq\":6,\"by\":\"bob\",\"status\":\"read\",\"messages\":[{\"id\":\"x-1\","
                + "\"to\":\"bob\",\"devices\":0,\"of\":0}],\"at\":2000}");
        assertThat(awaitAck(inbox, 6)).isEqualTo(6);
        first.sendText("bob", "an answer"); // the server never answers it
        first.close();
        server.close();

        // The next run, with the server gone: everything received is in the local store.
        PigeonholeClient second = start("ws://127.0.0.1:" + FakeWsServer.freePort(), dir, new Listener() {});
        assertThat(second.position()).isEqualTo(6);
        List<InboxEntry> history = second.history(10);
        assertThat(history).extracting(InboxEntry::seq, InboxEntry::kind, InboxEntry::from, InboxEntry::sentAt)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(5L, "message", "bob", 1005L),
                        org.assertj.core.groups.Tuple.tuple(6L, "receipt", "bob", 2000L));
        assertThat(Json.read(history.get(0).json(), JsonNode.class).at("/body/text").asText()).isEqualTo("question 3");
        assertThat(history.get(0).to()).isEqualTo("alice");
        assertThat(second.history(1)).extracting(InboxEntry::seq).containsExactly(6L);
        assertThat(second.unreadCount()).isEqualTo(1);
        assertThat(second.pending()).extracting(Outgoing::to).containsExactly("bob");

        // per-consumer "shown" markers, kept in the store
        assertThat(second.unshown("badge", 10)).extracting(InboxEntry::seq).containsExactly(5L, 6L);
        second.markShown("badge", history.get(0).id());
        assertThat(second.unshown("badge", 10)).extracting(InboxEntry::seq).containsExactly(6L);
        assertThat(second.unshown("window", 10)).hasSize(2);
        second.markRead(5);
        assertThat(second.unreadCount()).isZero();
        second.close();
        PigeonholeClient third = start("ws://127.0.0.1:" + FakeWsServer.freePort(), dir, new Listener() {});
        assertThat(third.unshown("badge", 10)).extracting(InboxEntry::seq).containsExactly(6L);
        assertThat(third.unreadCount()).isZero();
    }

    @Test
    void theListenerIsFedFromTheStoreInOrderAndAThrowingListenerDoesNotStopIt() throws Exception {
        FakeWsServer server = server();
        List<String> events = new CopyOnWriteArrayList<>();
        start(server.url(), null, new Listener() {
            @Override
            public void onMessage(IncomingMessage m) {
                events.add("message " + m.seq() + " " + m.text());
                if (m.seq() == 2) {
                    throw new IllegalStateException("the application failed");
                }
            }

            @Override
            public void onGap(long from, long to, String reason) {
                events.add("gap " + from + ".." + to);
            }

            @Override
            public void onCaughtUp(long seq) {
                events.add("caught up " + seq);
            }
        });
        FakeWsServer.Connection inbox = server.accept("/v1/inbox", WAIT);
        inbox.send(backlog(5, 3));
        inbox.send(message(1, "bob", "a"));
        inbox.send(message(2, "bob", "b"));
        inbox.send("{\"type\":\"gap\",\"from\":3,\"to\":4,\"reason\":\"expired\"}");
        inbox.send(message(5, "bob", "c"));
        inbox.send("{\"type\":\"caught_up\",\"seq\":5,\"epoch\":3}");
        assertThat(awaitAck(inbox, 5)).isEqualTo(5);
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (events.size() < 5 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(events).containsExactly("message 1 a", "message 2 b", "gap 3..4", "message 5 c", "caught up 5");
    }

    /**
     * Problem 2 of issue 15: a client process killed (SIGKILL) inside its listener gets the same entry, same seq, on
     * its next start — from the local store: the server is not asked for it again — and only then acks it.
     */
    @Test
    void aProcessKilledInsideTheListenerGetsTheSameEntryAgainOnRestart() throws Exception {
        FakeWsServer server = server();
        Path data = dir.resolve("alice-phone");
        Process first = child(server.url(), data, "hang");
        try {
            FakeWsServer.Connection inbox = server.accept("/v1/inbox", WAIT);
            inbox.send(backlog(1, 77));
            inbox.send(message(1, "bob", "question 3"));
            BufferedReader out = reader(first);
            assertThat(out.readLine()).isEqualTo("got 1 question 3");
            assertThat(inbox.poll(Duration.ofMillis(500))).as("nothing acked while the listener runs").isNull();
        } finally {
            first.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }

        Process second = child(server.url(), data, "return");
        try {
            FakeWsServer.Connection inbox = server.accept("/v1/inbox", WAIT);
            assertThat(inbox.path()).as("resumes after what it stored").contains("after=1").contains("epoch=77");
            inbox.send(backlog(1, 77));
            BufferedReader out = reader(second);
            assertThat(out.readLine()).isEqualTo("got 1 question 3");
            assertThat(awaitAck(inbox, 1)).isEqualTo(1);
            inbox.send(message(2, "bob", "question 4"));
            assertThat(out.readLine()).isEqualTo("got 2 question 4");
            assertThat(awaitAck(inbox, 2)).isEqualTo(2);
        } finally {
            second.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    private Process child(String url, Path data, String mode) throws Exception {
        List<String> cmd = List.of(ProcessHandle.current().info().command().orElse("java"), "-Xmx64m", "-cp",
                System.getProperty("java.class.path"), ListenerCrashMain.class.getName(), url, data.toString(), mode);
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        closeLater.add(() -> p.destroyForcibly().waitFor(10, TimeUnit.SECONDS)); // also when the test times out
        return p;
    }

    private static BufferedReader reader(Process p) {
        return new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    }

    /**
     * Problem 4 of issue 15: close() returns without waiting for timers (here the send socket's 30 s idle timeout,
     * armed by the accepted send): the client's loop thread is gone when it returns.
     */
    @Test
    void closeDoesNotWaitForPendingTimers() throws Exception {
        FakeWsServer server = server();
        PigeonholeClient client = start(server.url(), "closer", dir, new Listener() {});
        Outgoing m = client.sendText("bob", "hi");
        FakeWsServer.Connection send = null;
        while (send == null) {
            FakeWsServer.Connection c = server.accept("/", WAIT);
            if (c.path().startsWith("/v1/send")) {
                send = c;
            }
        }
        JsonNode frame = Json.read(send.next("\"send\"", WAIT), JsonNode.class);
        send.send("{\"type\":\"accepted\",\"id\":\"" + frame.get("id").asText() + "\"}");
        assertThat(m.settled().toCompletableFuture().get(10, TimeUnit.SECONDS).state()).isEqualTo(SendState.ACCEPTED);
        Thread loop = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().equals("pigeonhole-client alice/closer")).findFirst().orElseThrow();
        long start = System.nanoTime();
        client.close();
        long closeMillis = (System.nanoTime() - start) / 1_000_000;
        System.out.println("close() after an accepted send took " + closeMillis + " ms");
        loop.join(500);
        assertThat(loop.isAlive()).as("the loop thread ended with close()").isFalse();
    }
}
