package dev.pigeonhole.standalone;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pigeonhole.client.ClientOptions;
import dev.pigeonhole.client.Listener;
import dev.pigeonhole.client.PigeonholeClient;
import dev.pigeonhole.client.ShadowDelta;
import dev.pigeonhole.client.ShadowDocument;
import dev.pigeonhole.protocol.ErrorCode;
import dev.pigeonhole.protocol.Json;
import dev.pigeonhole.protocol.ServerFrame;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Device shadows on a real broker and real sockets (docs/shadow.md). */
class ShadowIT {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    @RegisterExtension
    static final StandaloneExtension STACK = new StandaloneExtension("shadow-it");
    private static ServiceProcess pigeonhole;

    @BeforeAll
    static void stack() {
        pigeonhole = STACK.process();
    }

    @Test
    void aThingAsleepThrough1000DesiredUpdatesWakesToExactlyOneDeltaWithTheFinalState() {
        // the thermostat has connected before (a registered device), then sleeps
        try (TestInbox thermostat = new TestInbox(pigeonhole.ws(""), "sh-home", "thermostat", "", true)) {
            thermostat.awaitCaughtUp(WAIT);
        }
        try (TestInbox app = new TestInbox(pigeonhole.ws(""), "sh-home", "phone", "", true)) {
            app.awaitCaughtUp(WAIT);
            for (int t = 1; t <= 1000; t++) { // pipelined on the app's inbox socket, 100 at a time
                app.sendRaw("{\"type\":\"shadow_update\",\"thing\":\"thermostat\",\"clientToken\":\"u-" + t
                        + "\",\"state\":{\"desired\":{\"temperature\":" + t + "}}}");
                if (t % 100 == 0) {
                    String last = "u-" + t;
                    app.awaitFrame(ServerFrame.class, f -> f instanceof ServerFrame.ShadowAccepted a && last.equals(a.clientToken())
                            || f instanceof ServerFrame.ShadowRejected r && last.equals(r.clientToken()), WAIT);
                }
            }
            List<ServerFrame> frames = app.frames();
            assertThat(frames.stream().filter(f -> f instanceof ServerFrame.ShadowRejected)).as("refused").isEmpty();
            List<ServerFrame.ShadowAccepted> answers = frames.stream()
                    .filter(f -> f instanceof ServerFrame.ShadowAccepted).map(f -> (ServerFrame.ShadowAccepted) f).toList();
            assertThat(answers).as("answered in order").hasSize(1000);
            assertThat(answers).extracting(a -> a.document().path("version").asLong())
                    .containsExactlyElementsOf(OfflineDeliveryIT.range(1, 1000));
        }
        try (TestInbox thermostat = new TestInbox(pigeonhole.ws(""), "sh-home", "thermostat", "", true)) {
            ServerFrame.CaughtUp caughtUp = thermostat.awaitCaughtUp(WAIT);
            List<ServerFrame> frames = thermostat.frames();
            List<ServerFrame.ShadowDelta> deltas = frames.stream().filter(f -> f instanceof ServerFrame.ShadowDelta)
                    .map(f -> (ServerFrame.ShadowDelta) f).toList();
            assertThat(deltas).hasSize(1);
            assertThat(deltas.get(0).state()).isEqualTo(json("{\"temperature\":1000}"));
            assertThat(deltas.get(0).version()).isEqualTo(1000);
            assertThat(deltas.get(0).thing()).isEqualTo("thermostat");
            assertThat(frames.stream().filter(f -> f instanceof ServerFrame.ShadowDocuments)).hasSize(1);
            // every seq up to caught_up is accounted for: an entry or a superseded gap, in order
            long next = ((ServerFrame.Backlog) frames.get(0)).head() - ((ServerFrame.Backlog) frames.get(0)).count() + 1;
            for (ServerFrame f : frames) {
                if (f instanceof ServerFrame.Gap g) {
                    assertThat(g.reason()).isEqualTo("superseded");
                    assertThat(g.from()).isEqualTo(next);
                    next = g.to() + 1;
                } else if (f instanceof ServerFrame.Entry e) {
                    assertThat(e.seq()).isEqualTo(next);
                    next = e.seq() + 1;
                }
            }
            assertThat(next - 1).isEqualTo(caughtUp.seq()).isEqualTo(2000);
        }
    }

    /**
     * An app updates desired three times while the network is gone and is restarted (the outbox is on disk); when the
     * network returns the updates go out once, merged, and the thing's SDK, asleep meanwhile, gets one delta.
     */
    @Test
    void updatesMadeOfflineBySdkReachTheThingOnceTheNetworkReturns() throws Exception {
        List<ShadowDelta> deltas = new CopyOnWriteArrayList<>();
        Listener thingListener = new Listener() {
            @Override
            public void onShadowDelta(ShadowDelta delta) {
                deltas.add(delta);
            }
        };
        ClientOptions thingOptions = ClientOptions.builder(URI.create(pigeonhole.ws("")), "sh-sdk", "heater")
                .dataDir(STACK.dir("sh-sdk-heater")).build();
        try (PigeonholeClient heater = PigeonholeClient.start(thingOptions, thingListener)) {
            heater.shadow("heater").updateReported(Map.of("temperature", 15)).get(30, TimeUnit.SECONDS); // registered
        }
        try (FaultProxy proxy = new FaultProxy(pigeonhole.port)) {
            proxy.refuse();
            ClientOptions appOptions = ClientOptions.builder(URI.create(proxy.ws()), "sh-sdk", "phone")
                    .dataDir(STACK.dir("sh-sdk-phone")).build();
            try (PigeonholeClient app = PigeonholeClient.start(appOptions, new Listener() {})) {
                List<CompletableFuture<ShadowDocument>> offline = List.of(
                        app.shadow("heater").updateDesired(Map.of("temperature", 19, "mode", "eco")),
                        app.shadow("heater").updateDesired(Map.of("temperature", 20)));
                ServiceProcess.sleep(1000);
                assertThat(offline).noneMatch(CompletableFuture::isDone);
                assertThat(app.pendingShadowUpdates()).isPositive();
            }
            try (PigeonholeClient app = PigeonholeClient.start(appOptions, new Listener() {})) { // restarted, still offline
                app.shadow("heater").updateDesired(Map.of("temperature", 21));
                proxy.up();
                long deadline = System.nanoTime() + WAIT.toNanos();
                while (app.pendingShadowUpdates() > 0 && System.nanoTime() < deadline) {
                    ServiceProcess.sleep(50);
                }
                assertThat(app.pendingShadowUpdates()).isZero();
            }
        }
        JsonNode doc = json(send(get("sh-sdk", "phone", "heater")).body());
        assertThat(doc.path("state").path("desired")).isEqualTo(json("{\"temperature\":21,\"mode\":\"eco\"}"));
        assertThat(doc.path("state").path("delta")).isEqualTo(json("{\"temperature\":21,\"mode\":\"eco\"}"));
        long version = doc.path("version").asLong();
        assertThat(version).as("one reported, then at most the three desired updates").isBetween(2L, 4L);
        try (PigeonholeClient heater = PigeonholeClient.start(thingOptions, thingListener)) {
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (deltas.isEmpty() && System.nanoTime() < deadline) {
                ServiceProcess.sleep(50);
            }
            ServiceProcess.sleep(1000); // nothing else comes
            assertThat(deltas).hasSize(1);
            assertThat(deltas.get(0).stateMap()).isEqualTo(Map.of("temperature", 21, "mode", "eco"));
            assertThat(deltas.get(0).version()).isEqualTo(version);
        }
    }

    @Test
    void aThingConnectingForTheFirstTimeGetsItsPendingDelta() {
        try (TestInbox app = new TestInbox(pigeonhole.ws(""), "sh-new", "phone", "", true)) {
            app.awaitCaughtUp(WAIT);
            app.sendRaw("{\"type\":\"shadow_update\",\"thing\":\"sprinkler\",\"clientToken\":\"n-1\","
                    + "\"state\":{\"desired\":{\"zone\":3}}}");
            app.awaitFrame(ServerFrame.ShadowAccepted.class, a -> "n-1".equals(a.clientToken()), WAIT);
        }
        try (TestInbox sprinkler = new TestInbox(pigeonhole.ws(""), "sh-new", "sprinkler", "", true)) {
            ServerFrame.ShadowDelta delta = sprinkler.awaitFrame(ServerFrame.ShadowDelta.class, d -> true, WAIT);
            assertThat(delta.thing()).isEqualTo("sprinkler");
            assertThat(delta.state()).isEqualTo(json("{\"zone\":3}"));
            ServiceProcess.sleep(300);
            assertThat(sprinkler.frames().stream().filter(f -> f instanceof ServerFrame.Entry)).hasSize(1);
        }
    }

    @Test
    void ofConcurrentUpdatesNamingOneVersionExactlyOneWins() throws Exception {
        String[] writers = {"phone", "laptop", "tablet", "watch"};
        for (int version = 0; version < 20; version++) {
            List<CompletableFuture<HttpResponse<String>>> round = new ArrayList<>();
            for (String w : writers) {
                round.add(HTTP.sendAsync(post("sh-race", w, "lamp", "{\"version\":" + version
                        + ",\"state\":{\"desired\":{\"by\":\"" + w + "\"}}}"), HttpResponse.BodyHandlers.ofString()));
            }
            List<HttpResponse<String>> answers = round.stream().map(CompletableFuture::join).toList();
            assertThat(answers).extracting(HttpResponse::statusCode).as(answers.toString()).containsOnly(200, 409);
            assertThat(answers.stream().filter(r -> r.statusCode() == 200)).as("round " + version).hasSize(1);
            for (HttpResponse<String> r : answers) {
                if (r.statusCode() == 409) {
                    assertThat(json(r.body()).path("code").asText()).isEqualTo("version_conflict");
                    assertThat(json(r.body()).path("version").asLong()).isEqualTo(version + 1);
                }
            }
        }
        HttpResponse<String> doc = send(get("sh-race", "phone", "lamp"));
        assertThat(doc.statusCode()).isEqualTo(200);
        assertThat(json(doc.body()).path("version").asLong()).isEqualTo(20);
    }

    @Test
    void theHttpApiAnswersWithTheDocumentAndTheProtocolsCodes() throws Exception {
        assertThat(send(get("sh-http", "phone", "garage")).statusCode()).isEqualTo(404);
        HttpResponse<String> created = send(post("sh-http", "phone", "garage", "{\"clientToken\":\"c-1\",\"state\":{\"desired\":{\"door\":\"closed\"}}}"));
        assertThat(created.statusCode()).as(created.body()).isEqualTo(200);
        JsonNode doc = json(created.body());
        assertThat(doc.path("state").path("delta")).isEqualTo(json("{\"door\":\"closed\"}"));
        assertThat(doc.path("clientToken").asText()).isEqualTo("c-1");
        // the thing reports over its socket and gets the answer there
        try (TestInbox garage = new TestInbox(pigeonhole.ws(""), "sh-http", "garage", "after=0", true)) {
            garage.sendRaw("{\"type\":\"shadow_update\",\"thing\":\"garage\",\"clientToken\":\"r-1\",\"state\":{\"reported\":{\"door\":\"closed\"}}}");
            ServerFrame.ShadowAccepted a = garage.awaitFrame(ServerFrame.ShadowAccepted.class, x -> true, WAIT);
            assertThat(a.op()).isEqualTo("update");
            assertThat(a.document().path("state").has("delta")).isFalse();
            garage.sendRaw("{\"type\":\"shadow_get\",\"thing\":\"garage\",\"name\":\"nope\",\"clientToken\":\"g-1\"}");
            ServerFrame.ShadowRejected missing = garage.awaitFrame(ServerFrame.ShadowRejected.class, x -> true, WAIT);
            assertThat(missing.code()).isEqualTo(ErrorCode.NOT_FOUND);
            assertThat(missing.clientToken()).isEqualTo("g-1");
            garage.sendRaw("{\"type\":\"shadow_update\",\"thing\":\"garage\",\"clientToken\":\"bad\",\"state\":{\"delta\":{}}}");
            assertThat(garage.awaitFrame(ServerFrame.ShadowRejected.class, x -> "bad".equals(x.clientToken()), WAIT).code())
                    .isEqualTo(ErrorCode.INVALID_FIELD);
        }
        assertThat(send(post("sh-http", "phone", "garage", "{\"state\":{\"reported\":{\"door\":\"open\"}}}")).statusCode())
                .as("only the thing reports").isEqualTo(403);
        assertThat(send(post("sh-http", "phone", "garage", "{\"version\":1,\"state\":{\"desired\":{\"door\":\"open\"}}}")).statusCode())
                .isEqualTo(409);
        assertThat(send(post("sh-http", "phone", "garage", "{\"state\":{\"desired\":{\"x\":\"" + "y".repeat(9000) + "\"}}}")).statusCode())
                .isEqualTo(413);
        assertThat(send(post("sh-http", "phone", "garage", "{\"state\":{\"desired\":{\"a\":{\"b\":{\"c\":{\"d\":{\"e\":{\"f\":{\"g\":1}}}}}}}}}")).statusCode())
                .isEqualTo(400);
        assertThat(send(post("sh-http", "phone", "garage", "not json")).statusCode()).isEqualTo(400);
        HttpResponse<String> deleted = send(HttpRequest.newBuilder(URI.create(pigeonhole.http(
                "/v1/things/garage/shadow?user=sh-http&device=phone&version=2"))).DELETE().build());
        assertThat(deleted.statusCode()).as(deleted.body()).isEqualTo(200);
        assertThat(json(deleted.body()).path("version").asLong()).isEqualTo(3);
        assertThat(send(get("sh-http", "phone", "garage")).statusCode()).isEqualTo(404);
        assertThat(send(HttpRequest.newBuilder(URI.create(pigeonhole.http("/v1/things/garage/shadow"))).GET().build())
                .statusCode()).isEqualTo(401);
    }

    @Test
    void anotherUsersTokenReachesOnlyThatUsersOwnShadows() throws Exception {
        String alice = token("sh-alice", "phone");
        String bob = token("sh-bob", "thermostat");
        HttpResponse<String> set = send(withToken(alice, "/v1/things/thermostat/shadow").POST(
                HttpRequest.BodyPublishers.ofString("{\"state\":{\"desired\":{\"temperature\":21}}}")).build());
        assertThat(set.statusCode()).as(set.body()).isEqualTo(200);
        HttpResponse<String> asOwner = send(withToken(bob, "/v1/things/thermostat/shadow?owner=sh-alice").GET().build());
        assertThat(asOwner.statusCode()).isEqualTo(403);
        assertThat(json(asOwner.body()).path("code").asText()).isEqualTo("forbidden");
        assertThat(send(withToken(bob, "/v1/things/thermostat/shadow").GET().build()).statusCode())
                .as("bob's own (absent) shadow, not alice's").isEqualTo(404);
        // bob's device named like alice's thing reports into bob's shadow only
        assertThat(send(withToken(bob, "/v1/things/thermostat/shadow").POST(
                HttpRequest.BodyPublishers.ofString("{\"state\":{\"reported\":{\"temperature\":99}}}")).build()).statusCode())
                .isEqualTo(200);
        JsonNode alices = json(send(withToken(alice, "/v1/things/thermostat/shadow").GET().build()).body());
        assertThat(alices.path("state").has("reported")).isFalse();
        assertThat(alices.path("version").asLong()).isEqualTo(1);
        // and over bob's socket, naming alice as owner is refused
        try (TestInbox socket = new TestInbox(URI.create(pigeonhole.ws("/v1/inbox")), bob, true)) {
            socket.sendRaw("{\"type\":\"shadow_update\",\"owner\":\"sh-alice\",\"thing\":\"thermostat\",\"clientToken\":\"x\","
                    + "\"state\":{\"desired\":{\"temperature\":5}}}");
            assertThat(socket.awaitFrame(ServerFrame.ShadowRejected.class, x -> true, WAIT).code()).isEqualTo(ErrorCode.FORBIDDEN);
        }
        assertThat(json(send(withToken(alice, "/v1/things/thermostat/shadow").GET().build()).body())
                .path("state").path("desired").path("temperature").asInt()).isEqualTo(21);
    }

    private static HttpRequest post(String user, String device, String thing, String body) {
        return HttpRequest.newBuilder(URI.create(pigeonhole.http("/v1/things/" + thing + "/shadow?user=" + user + "&device=" + device)))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
    }

    private static HttpRequest get(String user, String device, String thing) {
        return HttpRequest.newBuilder(URI.create(pigeonhole.http("/v1/things/" + thing + "/shadow?user=" + user + "&device=" + device)))
                .GET().build();
    }

    private static HttpRequest.Builder withToken(String token, String path) {
        return HttpRequest.newBuilder(URI.create(pigeonhole.http(path))).header("Authorization", "Bearer " + token);
    }

    private static HttpResponse<String> send(HttpRequest request) throws Exception {
        return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
    }

    private static String token(String user, String device) throws Exception {
        HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(pigeonhole.http(
                "/dev/tokens?user=" + user + "&device=" + device))).POST(HttpRequest.BodyPublishers.noBody()).build());
        assertThat(r.statusCode()).isEqualTo(200);
        return json(r.body()).get("token").asText();
    }

    private static JsonNode json(String text) {
        return Json.read(text, JsonNode.class);
    }
}
