package dev.pigeonhole.standalone;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pigeonhole.protocol.CloseCode;
import dev.pigeonhole.protocol.ErrorCode;
import dev.pigeonhole.protocol.ServerFrame;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.jose4j.jws.AlgorithmIdentifiers;
import org.jose4j.jws.JsonWebSignature;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The transport and token rules of docs/protocol.md and docs/security.md, exactly, on the real stack: every
 * violation of RFC 6455 ends with the close code the RFC names (a close frame the client reads, never a dropped
 * connection), and every refused token with the reason for what is wrong with it.
 */
class ProtocolPrecisionIT {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final int READ_MS = 10_000;
    private static final String AUDIENCE = "pigeonhole-it";
    private static final String[] ENDPOINTS = {"/v1/send?user=pp-mallory&device=phone",
            "/v1/inbox?user=pp-mallory&device=phone&after=0"};
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @RegisterExtension
    static final StandaloneExtension STACK = new StandaloneExtension("protocol-precision-it", withAudience());
    private static ServiceProcess pigeonhole;

    private static Map<String, String> withAudience() {
        Map<String, String> props = new HashMap<>(ServiceProcess.GENEROUS_LIMITS);
        props.put("pigeonhole.auth.audience", AUDIENCE);
        return props;
    }

    @BeforeAll
    static void stack() {
        pigeonhole = STACK.process();
    }

    @Test
    void aFrameOverTheTransportLimitClosesWith1009() throws Exception {
        byte[] twoMiB = ("\"" + "x".repeat(2 * 1024 * 1024) + "\"").getBytes(StandardCharsets.US_ASCII);
        for (String endpoint : ENDPOINTS) {
            try (RawWebSocket ws = new RawWebSocket(pigeonhole.port, endpoint)) {
                ws.sendFrame(0x81, twoMiB);
                assertThat(ws.readClose(READ_MS).code()).as(endpoint).isEqualTo(CloseCode.MESSAGE_TOO_BIG.code());
            }
        }
    }

    @Test
    void aMessageOverTheTransportLimitInSmallFramesClosesWith1009() throws Exception {
        byte[] part = "x".repeat(512 * 1024).getBytes(StandardCharsets.US_ASCII);
        for (String endpoint : ENDPOINTS) {
            try (RawWebSocket ws = new RawWebSocket(pigeonhole.port, endpoint)) {
                ws.sendFrame(0x01, part); // text, not final
                ws.sendFrame(0x00, part); // continuation
                ws.sendFrame(0x00, part);
                ws.sendFrame(0x80, part); // final continuation
                assertThat(ws.readClose(READ_MS).code()).as(endpoint).isEqualTo(CloseCode.MESSAGE_TOO_BIG.code());
            }
        }
    }

    @Test
    void reservedBitsWithoutANegotiatedExtensionCloseWith1002() throws Exception {
        byte[] frame = "{\"type\":\"ack\",\"seq\":0}".getBytes(StandardCharsets.US_ASCII);
        for (int rsv : new int[] {0x40, 0x20, 0x10}) {
            for (String endpoint : ENDPOINTS) {
                try (RawWebSocket ws = new RawWebSocket(pigeonhole.port, endpoint)) {
                    ws.sendFrame(0x81 | rsv, frame);
                    assertThat(ws.readClose(READ_MS).code()).as(endpoint + " rsv " + rsv)
                            .isEqualTo(CloseCode.PROTOCOL_ERROR.code());
                }
            }
        }
    }

    @Test
    void otherFramingViolationsCloseWith1002() throws Exception {
        byte[] frame = "{\"type\":\"ack\",\"seq\":0}".getBytes(StandardCharsets.US_ASCII);
        for (String endpoint : ENDPOINTS) {
            try (RawWebSocket ws = new RawWebSocket(pigeonhole.port, endpoint)) {
                ws.sendFrame(0x81, frame, false); // unmasked
                assertThat(ws.readClose(READ_MS).code()).as(endpoint + " unmasked").isEqualTo(CloseCode.PROTOCOL_ERROR.code());
            }
            try (RawWebSocket ws = new RawWebSocket(pigeonhole.port, endpoint)) {
                ws.sendFrame(0x89, new byte[126]); // a ping over 125 bytes
                assertThat(ws.readClose(READ_MS).code()).as(endpoint + " big ping").isEqualTo(CloseCode.PROTOCOL_ERROR.code());
            }
            try (RawWebSocket ws = new RawWebSocket(pigeonhole.port, endpoint)) {
                ws.sendFrame(0x83, frame); // reserved opcode 3
                assertThat(ws.readClose(READ_MS).code()).as(endpoint + " opcode 3").isEqualTo(CloseCode.PROTOCOL_ERROR.code());
            }
            try (RawWebSocket ws = new RawWebSocket(pigeonhole.port, endpoint)) {
                ws.sendFrame(0x80, frame); // a continuation without a start
                assertThat(ws.readClose(READ_MS).code()).as(endpoint + " continuation").isEqualTo(CloseCode.PROTOCOL_ERROR.code());
            }
        }
    }

    @Test
    void invalidUtf8InATextFrameClosesWith1007() throws Exception {
        byte[] invalid = {'{', '"', 'x', '"', ':', '"', (byte) 0xC3, 0x28, '"', '}'};
        for (String endpoint : ENDPOINTS) {
            try (RawWebSocket ws = new RawWebSocket(pigeonhole.port, endpoint)) {
                ws.sendFrame(0x81, invalid);
                assertThat(ws.readClose(READ_MS).code()).as(endpoint).isEqualTo(CloseCode.INVALID_PAYLOAD.code());
            }
            try (RawWebSocket ws = new RawWebSocket(pigeonhole.port, endpoint)) { // a character split over frames
                ws.sendFrame(0x01, new byte[] {'"', (byte) 0xE2, (byte) 0x82});
                ws.sendFrame(0x80, new byte[] {'"'});
                assertThat(ws.readClose(READ_MS).code()).as(endpoint).isEqualTo(CloseCode.INVALID_PAYLOAD.code());
            }
        }
    }

    @Test
    void aHugeNumberIsNamedAsSuchAndTheServiceCarriesOn() throws Exception {
        String digits = "1".repeat(2000);
        try (TestSender mallory = new TestSender(pigeonhole.ws(""), "pp-mallory", "laptop")) {
            mallory.sendRaw("{\"type\":\"send\",\"id\":\"n\",\"to\":\"pp-victor\",\"body\":" + digits + "}");
            ServerFrame.Error error = mallory.awaitError(WAIT);
            assertThat(error.code()).isEqualTo(ErrorCode.MALFORMED_JSON);
            assertThat(error.message()).isEqualTo("a number in the frame is longer than the limit (1000 characters)");
            // after every violation above, the service still takes messages
            mallory.send("after", "pp-victor", "{\"text\":\"still here\"}");
            assertThat(mallory.awaitReply("after", WAIT)).isEqualTo(new ServerFrame.Accepted("after"));
        }
        try (TestInbox inbox = new TestInbox(pigeonhole.ws(""), "pp-victor", "phone", "after=0", false)) {
            inbox.awaitCaughtUp(WAIT);
            inbox.sendRaw("{\"type\":\"ack\",\"seq\":" + digits + "}");
            ServerFrame.Error error = inbox.awaitFrame(ServerFrame.Error.class, e -> true, WAIT);
            assertThat(error.code()).isEqualTo(ErrorCode.MALFORMED_JSON);
            assertThat(error.message()).isEqualTo("a number in the frame is longer than the limit (1000 characters)");
        }
    }

    @Test
    void refusedTokensNameWhatIsWrong() throws Exception {
        long now = Instant.now().getEpochSecond();
        String claims = "\"iss\":\"" + DevKeys.ISSUER + "\",\"sub\":\"pp-carol\",\"device\":\"phone\"";
        assertThat(closeReason(sign("{" + claims + ",\"exp\":" + (now + 600) + ",\"aud\":\"elsewhere\"}")))
                .isEqualTo("token audience not accepted");
        assertThat(closeReason(sign("{" + claims + ",\"exp\":" + (now + 600) + "}")))
                .isEqualTo("token audience not accepted");
        assertThat(closeReason(sign("{" + claims + ",\"aud\":\"" + AUDIENCE + "\",\"iat\":" + now + "}")))
                .isEqualTo("token has no exp claim");
        assertThat(closeReason(sign("{" + claims + ",\"aud\":\"" + AUDIENCE + "\",\"exp\":" + (now - 600) + "}")))
                .isEqualTo("token expired");
        assertThat(closeReason(sign("{" + claims + ",\"aud\":\"" + AUDIENCE + "\",\"exp\":" + (now + 600)
                + ",\"nbf\":" + (now + 600) + "}"))).isEqualTo("token not valid yet");
        assertThat(closeReason(sign("{\"iss\":\"" + DevKeys.ISSUER + "\",\"device\":\"phone\",\"aud\":\"" + AUDIENCE
                + "\",\"exp\":" + (now + 600) + "}"))).isEqualTo("token has no valid sub and device claims");

        String withoutIat = sign("{" + claims + ",\"aud\":\"" + AUDIENCE + "\",\"exp\":" + (now + 600) + "}");
        try (TestSender carol = new TestSender(URI.create(pigeonhole.ws("/v1/send")), withoutIat)) {
            carol.send("no-iat", "pp-victor", "1");
            assertThat(carol.awaitReply("no-iat", WAIT)).isEqualTo(new ServerFrame.Accepted("no-iat"));
        }
    }

    /** Signs the claims exactly as given with the standalone's dev key (SmallRye's builder would add iat). */
    private static String sign(String claimsJson) throws Exception {
        String pem = Files.readString(STACK.serverData().resolve("dev-keys").resolve("private.pem"));
        PrivateKey key = KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(
                Base64.getDecoder().decode(pem.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", ""))));
        JsonWebSignature jws = new JsonWebSignature();
        jws.setPayload(claimsJson);
        jws.setAlgorithmHeaderValue(AlgorithmIdentifiers.RSA_USING_SHA256);
        jws.setKey(key);
        return jws.getCompactSerialization();
    }

    /** Opens {@code /v1/inbox} with the token and returns the reason the server closed it with (4100). */
    private static String closeReason(String token) throws Exception {
        CompletableFuture<String> closed = new CompletableFuture<>();
        WsConnection.open(HTTP, URI.create(pigeonhole.ws("/v1/inbox")), token, Duration.ofSeconds(5),
                new WsConnection.Handler() {
                    @Override
                    public void onFrame(ServerFrame frame) {
                    }

                    @Override
                    public void onClose(int code, String reason) {
                        closed.complete(code + " " + reason);
                    }
                }).join();
        String close = closed.get(10, TimeUnit.SECONDS);
        assertThat(close).startsWith(CloseCode.UNAUTHORIZED.code() + " ");
        return close.substring(close.indexOf(' ') + 1);
    }
}
