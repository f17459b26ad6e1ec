package dev.pigeonhole.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pigeonhole.protocol.Json;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link PigeonholeClient#shadow} over a real WebSocket, against a server played by the test. */
class ShadowClientTest {
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

    private PigeonholeClient start(String url, String device, Path dataDir, Listener listener) {
        PigeonholeClient c = PigeonholeClient.start(ClientOptions.builder(URI.create(url), "alice", device)
                .dataDir(dataDir).pingInterval(Duration.ofSeconds(2)).backoff(Duration.ofMillis(20), Duration.ofMillis(200))
                .connectTimeout(Duration.ofSeconds(2)).build(), listener);
        closeLater.add(c);
        return c;
    }

    private FakeWsServer server(int port) throws Exception {
        FakeWsServer s = new FakeWsServer(port);
        closeLater.add(s);
        return s;
    }

    private static JsonNode json(String text) {
        return Json.read(text, JsonNode.class);
    }

    private static String document(long version, String desired, String reported, String token) {
        return "{\"thing\":\"thermostat\",\"name\":\"\",\"state\":{\"desired\":" + desired + ",\"reported\":" + reported
                + "},\"metadata\":{},\"version\":" + version + ",\"timestamp\":1795823061479,\"clientToken\":\"" + token + "\"}";
    }

    private static String accepted(JsonNode request, String document) {
        return "{\"type\":\"shadow_accepted\",\"op\":\"" + request.get("type").asText().substring(7) + "\",\"thing\":\""
                + request.get("thing").asText() + "\",\"name\":\"" + request.get("name").asText() + "\",\"clientToken\":\""
                + request.get("clientToken").asText() + "\",\"document\":" + document + "}";
    }

    @Test
    void getAndUpdateAreAnsweredByClientTokenOnTheInboxSocket() throws Exception {
        FakeWsServer server = server(0);
        PigeonholeClient client = start(server.url(), "phone", null, new Listener() {});
        FakeWsServer.Connection inbox = server.accept("/v1/inbox", WAIT);
        assertThat(inbox.path()).contains("user=alice").contains("device=phone");

        Shadow thermostat = client.shadow("thermostat");
        CompletableFuture<ShadowDocument> get = thermostat.get();
        JsonNode g = json(inbox.next("shadow_get", WAIT));
        CompletableFuture<ShadowDocument> update = thermostat.updateDesired(Map.of("temperature", 21), 3);
        JsonNode u = json(inbox.next("shadow_update", WAIT));
        assertThat(g.get("thing").asText()).isEqualTo("thermostat");
        assertThat(g.get("name").asText()).isEmpty();
        assertThat(u.get("state")).isEqualTo(json("{\"desired\":{\"temperature\":21}}"));
        assertThat(u.get("version").asLong()).isEqualTo(3);
        assertThat(u.get("clientToken").asText()).isNotEqualTo(g.get("clientToken").asText());

        // answered in the other order
        inbox.send(accepted(u, document(4, "{\"temperature\":21}", "{\"temperature\":18}", u.get("clientToken").asText())));
        inbox.send(accepted(g, document(3, "{\"temperature\":19}", "{\"temperature\":18}", "c-1")));
        ShadowDocument afterUpdate = update.get(10, TimeUnit.SECONDS);
        ShadowDocument read = get.get(10, TimeUnit.SECONDS);
        assertThat(afterUpdate.version()).isEqualTo(4);
        assertThat(afterUpdate.desired()).isEqualTo("{\"temperature\":21}");
        assertThat(afterUpdate.desiredMap()).isEqualTo(Map.of("temperature", 21));
        assertThat(afterUpdate.clientToken()).isEqualTo(u.get("clientToken").asText());
        assertThat(read.version()).isEqualTo(3);
        assertThat(read.reportedMap()).isEqualTo(Map.of("temperature", 18));
        assertThat(read.delta()).isEqualTo("{}");

        // a refusal carries the wire code
        CompletableFuture<Void> delete = client.shadow("thermostat", "config").delete(9);
        JsonNode d = json(inbox.next("shadow_delete", WAIT));
        assertThat(d.get("name").asText()).isEqualTo("config");
        inbox.send("{\"type\":\"shadow_rejected\",\"op\":\"delete\",\"thing\":\"thermostat\",\"name\":\"config\",\"clientToken\":\""
                + d.get("clientToken").asText() + "\",\"code\":\"version_conflict\",\"message\":\"version 9 does not match"
                + " the shadow's version 11\",\"version\":11}");
        assertThatThrownBy(() -> delete.get(10, TimeUnit.SECONDS)).cause().isInstanceOfSatisfying(ShadowException.class, e -> {
            assertThat(e.code()).isEqualTo("version_conflict");
            assertThat(e.currentVersion()).isEqualTo(11);
        });
    }

    @Test
    void updatesMadeWhileTheServerIsDownAreCoalescedAndSentOnConnect() throws Exception {
        int port = FakeWsServer.freePort();
        PigeonholeClient client = start("ws://127.0.0.1:" + port, "phone", dir, new Listener() {});
        Shadow thermostat = client.shadow("thermostat");
        CompletableFuture<ShadowDocument> t19 = thermostat.updateDesired("{\"temperature\":19,\"schedule\":[7,22]}");
        CompletableFuture<ShadowDocument> t20 = thermostat.updateDesired("{\"temperature\":20}");
        Map<String, Object> last = new java.util.HashMap<>();
        last.put("temperature", 21);
        last.put("schedule", null);
        CompletableFuture<ShadowDocument> t21 = thermostat.updateDesired(last);
        Thread.sleep(300);
        assertThat(client.state()).isNotEqualTo(ConnectionState.ONLINE);
        assertThat(client.pendingShadowUpdates()).isEqualTo(1);
        assertThat(t19).isNotDone();

        FakeWsServer server = server(port);
        FakeWsServer.Connection inbox = server.accept("/v1/inbox", WAIT);
        JsonNode u = json(inbox.next("shadow_update", WAIT));
        assertThat(u.get("state")).isEqualTo(json("{\"desired\":{\"temperature\":21,\"schedule\":null}}"));
        assertThat(inbox.poll(Duration.ofMillis(300))).as("one update, not three").isNull();
        inbox.send(accepted(u, document(5, "{\"temperature\":21}", "{}", u.get("clientToken").asText())));
        for (CompletableFuture<ShadowDocument> f : List.of(t19, t20, t21)) {
            assertThat(f.get(10, TimeUnit.SECONDS).version()).isEqualTo(5);
        }
        assertThat(client.pendingShadowUpdates()).isZero();
    }

    @Test
    void anUpdateQueuedBeforeARestartIsSentByTheNextRun() throws Exception {
        int port = FakeWsServer.freePort();
        PigeonholeClient first = start("ws://127.0.0.1:" + port, "thermostat", dir, new Listener() {});
        CompletableFuture<ShadowDocument> lost = first.shadow("thermostat").updateReported("{\"temperature\":18}");
        first.close();
        assertThatThrownBy(() -> lost.get(10, TimeUnit.SECONDS)).cause().isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> first.shadow("thermostat").updateReported("{\"temperature\":17}"))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");

        PigeonholeClient second = start("ws://127.0.0.1:" + port, "thermostat", dir, new Listener() {});
        assertThat(second.pendingShadowUpdates()).isEqualTo(1);
        FakeWsServer server = server(port);
        FakeWsServer.Connection inbox = server.accept("/v1/inbox", WAIT);
        JsonNode u = json(inbox.next("shadow_update", WAIT));
        assertThat(u.get("state")).isEqualTo(json("{\"reported\":{\"temperature\":18}}"));
        inbox.send(accepted(u, document(1, "{}", "{\"temperature\":18}", u.get("clientToken").asText())));
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (second.pendingShadowUpdates() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(second.pendingShadowUpdates()).isZero();
    }

    @Test
    void onlyTheThingReportsItsState() {
        PigeonholeClient client = start("ws://127.0.0.1:1", "phone", null, new Listener() {});
        assertThatThrownBy(() -> client.shadow("thermostat").updateReported("{\"t\":1}").join()).cause()
                .isInstanceOfSatisfying(ShadowException.class, e -> assertThat(e.code()).isEqualTo("forbidden"));
        assertThat(client.pendingShadowUpdates()).isZero();
        assertThatThrownBy(() -> client.shadow("thermostat").updateDesired("[1]")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> client.shadow("no/slash")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> client.shadow("thermostat", "bad name")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void shadowEntriesReachTheListenerInOrderAndSupersededGapsAreNotALoss() throws Exception {
        FakeWsServer server = server(0);
        List<String> events = Collections.synchronizedList(new ArrayList<>());
        PigeonholeClient[] self = new PigeonholeClient[1];
        PigeonholeClient client = start(server.url(), "thermostat", dir, new Listener() {
            @Override
            public void onMessage(IncomingMessage m) {
                events.add("message " + m.seq());
            }

            @Override
            public void onGap(long from, long to, String reason) {
                events.add("gap " + from + ".." + to + " " + reason);
            }

            @Override
            public void onShadowDelta(ShadowDelta delta) {
                events.add("delta " + delta.seq() + " " + delta.thing() + " v" + delta.version() + " " + delta.state());
                // a thing applies its work order and reports, waiting for the answer inside the listener
                ShadowDocument after = self[0].shadow(delta.thing()).updateReported(delta.stateMap()).join();
                events.add("reported v" + after.version());
            }

            @Override
            public void onShadowDocuments(ShadowDocuments d) {
                events.add("documents " + d.seq() + " by " + d.by() + " previous " + (d.previous() == null ? "none"
                        : "v" + d.previous().version()) + " current v" + d.current().version() + " " + d.current().desired());
            }
        });
        self[0] = client;
        FakeWsServer.Connection inbox = server.accept("/v1/inbox", WAIT);
        inbox.send("{\"type\":\"message\",\"seq\":1,\"id\":\"m-1\",\"from\":\"bob\",\"fromDevice\":\"laptop\",\"to\":\"alice\","
                + "\"body\":{\"text\":\"hi\"},\"sentAt\":1,\"own\":false}");
        inbox.send("{\"type\":\"gap\",\"from\":2,\"to\":5,\"reason\":\"superseded\"}");
        inbox.send("{\"type\":\"shadow_delta\",\"seq\":6,\"thing\":\"thermostat\",\"name\":\"\",\"version\":4,"
                + "\"state\":{\"temperature\":21},\"metadata\":{\"temperature\":{\"timestamp\":1795823061479}},"
                + "\"clientToken\":\"c-42\",\"at\":1795823061479}");
        inbox.send("{\"type\":\"shadow_documents\",\"seq\":7,\"thing\":\"thermostat\",\"name\":\"\",\"by\":\"phone\","
                + "\"previous\":null,\"current\":" + document(4, "{\"temperature\":21}", "{}", "c-42") + ",\"at\":1795823061479}");
        inbox.send("{\"type\":\"gap\",\"from\":8,\"to\":8,\"reason\":\"expired\"}");

        JsonNode report = json(inbox.next("shadow_update", WAIT));
        assertThat(report.get("state")).isEqualTo(json("{\"reported\":{\"temperature\":21}}"));
        inbox.send(accepted(report, document(5, "{\"temperature\":21}", "{\"temperature\":21}", report.get("clientToken").asText())));
        JsonNode ack = json(inbox.next("\"ack\"", WAIT));
        while (ack.get("seq").asLong() < 8) {
            ack = json(inbox.next("\"ack\"", WAIT));
        }
        assertThat(ack.get("seq").asLong()).isEqualTo(8);
        assertThat(events).containsExactly("message 1", "delta 6 thermostat v4 {\"temperature\":21}", "reported v5",
                "documents 7 by phone previous none current v4 {\"temperature\":21}", "gap 8..8 expired");
        assertThat(client.position()).isEqualTo(8);
    }
}
