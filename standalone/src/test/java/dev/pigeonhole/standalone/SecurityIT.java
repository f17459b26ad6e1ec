package dev.pigeonhole.standalone;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pigeonhole.protocol.CloseCode;
import dev.pigeonhole.protocol.ErrorCode;
import dev.pigeonhole.protocol.Json;
import dev.pigeonhole.protocol.ServerFrame;
import io.smallrye.jwt.build.Jwt;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.KeyPairGenerator;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Tokens, authorization, connection limits and slow consumers on the standalone stack with the default limits. Send
 * rates are tested in {@link RateLimitIT}, with limits slow enough that no machine is too slow to exceed them.
 */
class SecurityIT {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @RegisterExtension
    static final StandaloneExtension STACK = new StandaloneExtension("security-it", Map.of(
            "pigeonhole.internal.secret", ServiceProcess.INTERNAL_SECRET,
            "pigeonhole.limits.pending-bytes", "262144",
            "pigeonhole.limits.slow-consumer-timeout", "PT3S"));
    private static ServiceProcess pigeonhole;
    private static DevKeys devKeys;

    @BeforeAll
    static void stack() {
        pigeonhole = STACK.process();
        devKeys = DevKeys.loadOrCreate(STACK.serverData());
    }

    @Test
    void devTokensFromTheEndpointAuthenticateSocketsAndHttp() throws Exception {
        String aliceToken = token("sec-alice", "phone");
        String bobToken = token("sec-bob", "laptop");

        try (TestSender alice = new TestSender(URI.create(pigeonhole.ws("/v1/send")), aliceToken)) {
            alice.send("t-1", "sec-bob", "{\"text\":\"with a header token\"}");
            assertThat(alice.awaitReply("t-1", WAIT)).isEqualTo(new ServerFrame.Accepted("t-1"));
        }
        HttpResponse<String> http = HTTP.send(HttpRequest.newBuilder(URI.create(pigeonhole.http("/v1/messages")))
                .header("Authorization", "Bearer " + aliceToken)
                .POST(HttpRequest.BodyPublishers.ofString("{\"id\":\"t-2\",\"to\":\"sec-bob\",\"body\":{\"text\":\"over http\"}}"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(http.statusCode()).isEqualTo(202);

        pigeonhole.awaitStored("sec-bob", 2, WAIT);
        try (TestInbox bob = new TestInbox(URI.create(pigeonhole.ws("/v1/inbox?after=0&access_token=" + bobToken)), null, true)) {
            bob.awaitCaughtUp(WAIT);
            assertThat(bob.messages()).extracting(ServerFrame.Message::id).containsExactly("t-1", "t-2");
            assertThat(bob.messages()).allMatch(m -> m.from().equals("sec-alice") && m.fromDevice().equals("phone"));
        }
    }

    @Test
    void pagesOfOtherWebOriginsAreRefusedBeforeAnyEndpoint() throws Exception {
        String own = "http://127.0.0.1:" + URI.create(pigeonhole.http("/")).getPort();
        URI inbox = URI.create(pigeonhole.ws("/v1/inbox?user=sec-dave&device=phone&after=0"));
        CompletableFuture<java.net.http.WebSocket> evil = HTTP.newWebSocketBuilder().header("Origin", "https://evil.example")
                .buildAsync(inbox, new java.net.http.WebSocket.Listener() {});
        assertThat(evil).failsWithin(WAIT).withThrowableOfType(java.util.concurrent.ExecutionException.class)
                .havingCause().isInstanceOfSatisfying(java.net.http.WebSocketHandshakeException.class,
                        e -> assertThat(e.getResponse().statusCode()).isEqualTo(403));
        java.net.http.WebSocket mine = HTTP.newWebSocketBuilder().header("Origin", own)
                .buildAsync(inbox, new java.net.http.WebSocket.Listener() {}).get(WAIT.toSeconds(), TimeUnit.SECONDS);
        mine.sendClose(1000, "done").join();

        // a form on another site posting as anyone through the dev identity
        HttpResponse<String> post = HTTP.send(HttpRequest.newBuilder(URI.create(pigeonhole.http("/v1/messages?user=sec-erin&device=phone")))
                .header("Origin", "https://evil.example").header("Content-Type", "text/plain")
                .POST(HttpRequest.BodyPublishers.ofString("{\"id\":\"o-1\",\"to\":\"sec-dave\",\"body\":{\"text\":\"forged\"}}"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(post.statusCode()).isEqualTo(403);
        assertThat(Json.read(post.body(), com.fasterxml.jackson.databind.JsonNode.class).get("code").asText()).isEqualTo("forbidden");
        // DNS rebinding: a foreign name pointed at 127.0.0.1 makes the page "same-origin"; the standalone refuses the Host
        int port = URI.create(pigeonhole.http("/")).getPort();
        try (java.net.Socket raw = new java.net.Socket(java.net.InetAddress.getLoopbackAddress(), port)) {
            String body = "{\"id\":\"o-3\",\"to\":\"sec-dave\",\"body\":{\"text\":\"rebound\"}}";
            raw.getOutputStream().write(("POST /v1/messages?user=sec-erin&device=phone HTTP/1.1\r\nHost: evil.example:" + port
                    + "\r\nOrigin: http://evil.example:" + port + "\r\nContent-Type: text/plain\r\nContent-Length: "
                    + body.length() + "\r\nConnection: close\r\n\r\n" + body).getBytes(StandardCharsets.US_ASCII));
            String answer = new String(raw.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(answer).startsWith("HTTP/1.1 403").contains("\"code\":\"forbidden\"");
        }
        try (TestSender erin = new TestSender(pigeonhole.ws(""), "sec-erin", "phone")) { // no Origin: not a browser
            erin.send("o-2", "sec-dave", "{\"text\":\"real\"}");
            assertThat(erin.awaitReply("o-2", WAIT)).isEqualTo(new ServerFrame.Accepted("o-2"));
        }
        pigeonhole.awaitStored("sec-dave", 1, WAIT);
        try (TestInbox dave = new TestInbox(pigeonhole.ws(""), "sec-dave", "phone", "after=0", true)) {
            dave.awaitCaughtUp(WAIT);
            assertThat(dave.messages()).extracting(ServerFrame.Message::id).containsExactly("o-2");
        }
    }

    @Test
    void forgedExpiredUnsignedAndForeignTokensAreRefused() throws Exception {
        var other = KeyPairGenerator.getInstance("RSA");
        other.initialize(2048);
        String forged = Jwt.claims().issuer(DevKeys.ISSUER).subject("sec-carol").claim("device", "phone")
                .claim("pigeonhole_dev", true).expiresIn(3600).sign(other.generateKeyPair().getPrivate());
        String expired = devKeys.sign(Jwt.claims().issuer(DevKeys.ISSUER).subject("sec-carol").claim("device", "phone")
                .claim("pigeonhole_dev", true).issuedAt(Instant.now().minusSeconds(7200)).expiresAt(Instant.now().minusSeconds(600)));
        String foreignIssuer = devKeys.sign(Jwt.claims().issuer("https://id.example").subject("sec-carol")
                .claim("device", "phone").expiresIn(3600));
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        String unsigned = b64.encodeToString("{\"alg\":\"none\"}".getBytes(StandardCharsets.UTF_8)) + "."
                + b64.encodeToString(("{\"iss\":\"" + DevKeys.ISSUER + "\",\"sub\":\"sec-carol\",\"device\":\"phone\",\"exp\":"
                + (Instant.now().getEpochSecond() + 3600) + "}").getBytes(StandardCharsets.UTF_8)) + ".";

        for (String bad : List.of(forged, expired, foreignIssuer, unsigned, "not-a-token")) {
            assertThat(closeCode("/v1/inbox", bad)).as(bad).isEqualTo(CloseCode.UNAUTHORIZED.code());
            assertThat(closeCode("/v1/send", bad)).as(bad).isEqualTo(CloseCode.UNAUTHORIZED.code());
            assertThat(closeCode("/v1/inbox?access_token=" + URLEncoder.encode(bad, StandardCharsets.UTF_8), null))
                    .isEqualTo(CloseCode.UNAUTHORIZED.code());
            HttpResponse<String> http = HTTP.send(HttpRequest.newBuilder(URI.create(pigeonhole.http("/v1/messages")))
                    .header("Authorization", "Bearer " + bad)
                    .POST(HttpRequest.BodyPublishers.ofString("{\"id\":\"x\",\"to\":\"sec-dan\",\"body\":1}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(http.statusCode()).isEqualTo(401);
            assertThat(http.body()).contains("\"code\":\"unauthorized\"");
        }
        assertThat(closeReason("/v1/inbox", expired)).isEqualTo("token expired");
        assertThat(closeReason("/v1/inbox", forged)).isEqualTo("token signature not valid");
    }

    @Test
    void aDeviceReadsOnlyItsOwnInboxAndSendsOnlyAsItself() throws Exception {
        String bobToken = token("sec-bob2", "laptop");
        assertThat(closeCode("/v1/inbox?user=sec-alice2&device=laptop", bobToken)).isEqualTo(CloseCode.UNAUTHORIZED.code());
        assertThat(closeCode("/v1/send?user=sec-alice2&device=laptop", bobToken)).isEqualTo(CloseCode.UNAUTHORIZED.code());
        HttpResponse<String> http = HTTP.send(HttpRequest.newBuilder(URI.create(pigeonhole.http("/v1/messages?user=sec-alice2&device=laptop")))
                .header("Authorization", "Bearer " + bobToken)
                .POST(HttpRequest.BodyPublishers.ofString("{\"id\":\"x\",\"to\":\"sec-dan\",\"body\":1}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(http.statusCode()).isEqualTo(401);

        try (TestSender alice = new TestSender(pigeonhole.ws(""), "sec-alice2", "phone")) {
            alice.send("secret", "sec-alice2", "{\"text\":\"note to self\"}");
            alice.awaitReply("secret", WAIT);
        }
        pigeonhole.awaitStored("sec-alice2", 1, WAIT);
        // bob's token opens bob's (empty) inbox, whatever he would like to read
        try (TestInbox bob = new TestInbox(URI.create(pigeonhole.ws("/v1/inbox?after=0")), bobToken, true)) {
            assertThat(bob.awaitCaughtUp(WAIT).seq()).isZero();
            assertThat(bob.messages()).isEmpty();
        }
    }

    @Test
    void aNewerInboxConnectionOfADeviceDisplacesTheOlderAndSendSocketsAreLimitedPerDevice() throws Exception {
        try (TestInbox first = new TestInbox(pigeonhole.ws(""), "sec-many", "phone", "", true)) {
            first.awaitCaughtUp(WAIT);
            try (TestInbox second = new TestInbox(pigeonhole.ws(""), "sec-many", "phone", "", true)) {
                assertThat(first.closed().get(10, TimeUnit.SECONDS)).as("one live inbox socket per device")
                        .isEqualTo(CloseCode.DISPLACED.code());
                second.awaitCaughtUp(WAIT);
                try (TestInbox otherDevice = new TestInbox(pigeonhole.ws(""), "sec-many", "laptop", "", true)) {
                    otherDevice.awaitCaughtUp(WAIT);
                }
                assertThat(second.closed()).as("another device displaces nobody").isNotDone();
            }
        }
        try (TestSender a = new TestSender(pigeonhole.ws(""), "sec-many", "phone");
             TestSender b = new TestSender(pigeonhole.ws(""), "sec-many", "phone")) {
            a.send("a-1", "sec-peer", "1");
            b.send("b-1", "sec-peer", "1");
            a.awaitReplies(List.of("a-1"), 1, WAIT);
            b.awaitReplies(List.of("b-1"), 1, WAIT);
            assertThat(closeCode("/v1/send?user=sec-many&device=phone", null)).isEqualTo(CloseCode.TOO_MANY_CONNECTIONS.code());
        }
    }

    @Test
    void aClientThatDoesNotReadIsClosedAsASlowConsumer() throws Exception {
        try (RawWebSocket stuck = new RawWebSocket(pigeonhole.port, "/v1/inbox?user=sec-stuck&device=phone&after=0&window=1024");
             TestSender sender = new TestSender(pigeonhole.ws(""), "sec-flood", "phone")) {
            String big = "\"" + "x".repeat(60_000) + "\"";
            List<String> ids = IntStream.range(0, 150).mapToObj(i -> "big-" + i).toList();
            ids.forEach(id -> sender.send(id, "sec-stuck", big));
            sender.awaitReplies(ids, 1, WAIT);
            assertThat(ids).allMatch(id -> sender.replies(id).get(0) instanceof ServerFrame.Accepted);
            // Not reading: the server's queue for this socket fills and stays full for the 3 s slow-consumer
            // timeout (checked every ping interval / 4 = 3.75 s); only then does this client read, to see the close.
            ServiceProcess.sleep(10_000);
            assertThat(stuck.readUntilClose(30_000)).isEqualTo(CloseCode.SLOW_CONSUMER.code());
        }
        // nothing was lost: a device that reads gets all of it
        try (TestInbox reader = new TestInbox(pigeonhole.ws(""), "sec-stuck", "laptop", "after=0&window=1024", true)) {
            assertThat(reader.awaitCaughtUp(WAIT).seq()).isEqualTo(150);
        }
    }

    private static String token(String user, String device) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(pigeonhole.http(
                "/dev/tokens?user=" + user + "&device=" + device))).POST(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        return Json.read(r.body(), com.fasterxml.jackson.databind.JsonNode.class).get("token").asText();
    }

    private record Closed(int code, String reason) {}

    private static int closeCode(String pathAndQuery, String bearer) throws Exception {
        return close(pathAndQuery, bearer).get(10, TimeUnit.SECONDS).code();
    }

    private static String closeReason(String pathAndQuery, String bearer) throws Exception {
        return close(pathAndQuery, bearer).get(10, TimeUnit.SECONDS).reason();
    }

    /** Opens a connection and waits for the server to close it. */
    private static CompletableFuture<Closed> close(String pathAndQuery, String bearer) {
        CompletableFuture<Closed> closed = new CompletableFuture<>();
        WsConnection.open(HTTP, URI.create(pigeonhole.ws(pathAndQuery)), bearer, Duration.ofSeconds(5),
                new WsConnection.Handler() {
                    @Override
                    public void onFrame(ServerFrame frame) {
                    }

                    @Override
                    public void onClose(int code, String reason) {
                        closed.complete(new Closed(code, reason));
                    }
                }).join();
        return closed;
    }
}
