package dev.pigeonhole.standalone;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pigeonhole.protocol.CloseCode;
import dev.pigeonhole.protocol.ServerFrame;
import io.smallrye.jwt.build.Jwt;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The services as deployed (separate processes) with a production-like configuration: tokens from an external
 * issuer only. Dev identities and dev tokens are refused; the issuer's tokens work end to end.
 */
class ProductionAuthIT {
    private static final String ISSUER = "https://id.example.com";
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @Test
    void onlyTheConfiguredIssuersTokensAreAccepted() throws Exception {
        Path dir = Files.createTempDirectory("pigeonhole-prod-auth");
        KeyPairGenerator gen = KeyPairGenerator.getInstance("RSA");
        gen.initialize(2048);
        KeyPair issuerKey = gen.generateKeyPair();
        Path publicPem = dir.resolve("issuer.pem");
        Files.writeString(publicPem, "-----BEGIN PUBLIC KEY-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(issuerKey.getPublic().getEncoded())
                + "\n-----END PUBLIC KEY-----\n");
        Map<String, String> production = Map.of("pigeonhole.auth.issuer", ISSUER,
                "pigeonhole.auth.public-key-location", publicPem.toString());
        DevKeys devKeys = DevKeys.loadOrCreate(dir.resolve("a-standalone"));

        try (Cluster cluster = Cluster.start("prod-auth-it")) {
            ServiceProcess router = cluster.router("router");
            ServiceProcess gateway = cluster.gateway("gateway", production);
            ServiceProcess delivery = cluster.delivery("delivery-0", router, production);
            Cluster.startAll(router, gateway, delivery);

            // dev identity: refused
            assertThat(closeCode(gateway.ws("/v1/send?user=pa-alice&device=phone"), null)).isEqualTo(CloseCode.UNAUTHORIZED.code());
            assertThat(closeCode(delivery.ws("/v1/inbox?user=pa-bob&device=laptop"), null)).isEqualTo(CloseCode.UNAUTHORIZED.code());
            HttpResponse<String> http = HTTP.send(HttpRequest.newBuilder(URI.create(gateway.http("/v1/messages?user=pa-alice&device=phone")))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"id\":\"x\",\"to\":\"pa-bob\",\"body\":1}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(http.statusCode()).isEqualTo(401);

            // a standalone's dev token, and a dev-marked token even if signed by the real issuer: refused
            String devToken = devKeys.mint("pa-alice", "phone", Duration.ofHours(1));
            String devMarked = Jwt.claims().issuer(ISSUER).subject("pa-alice").claim("device", "phone")
                    .claim("pigeonhole_dev", true).expiresIn(3600).sign(issuerKey.getPrivate());
            assertThat(closeCode(gateway.ws("/v1/send"), devToken)).isEqualTo(CloseCode.UNAUTHORIZED.code());
            assertThat(closeCode(gateway.ws("/v1/send"), devMarked)).isEqualTo(CloseCode.UNAUTHORIZED.code());

            // the issuer's tokens: accepted, end to end
            String alice = Jwt.claims().issuer(ISSUER).subject("pa-alice").claim("device", "phone").expiresIn(3600)
                    .sign(issuerKey.getPrivate());
            String bob = Jwt.claims().issuer(ISSUER).subject("pa-bob").claim("device", "laptop").expiresIn(3600)
                    .sign(issuerKey.getPrivate());
            try (TestSender sender = new TestSender(URI.create(gateway.ws("/v1/send")), alice);
                 TestInbox inbox = new TestInbox(URI.create(delivery.ws("/v1/inbox?after=0")), bob, true)) {
                inbox.awaitCaughtUp(Duration.ofSeconds(30));
                sender.send("p-1", "pa-bob", "{\"text\":\"signed by the real issuer\"}");
                assertThat(sender.awaitReply("p-1", Duration.ofSeconds(30))).isEqualTo(new ServerFrame.Accepted("p-1"));
                inbox.awaitMessages(1, Duration.ofSeconds(60));
                assertThat(inbox.messages().get(0).from()).isEqualTo("pa-alice");
            }
        } finally {
            TestFiles.delete(dir);
        }
    }

    private static int closeCode(String uri, String bearer) throws Exception {
        CompletableFuture<Integer> code = new CompletableFuture<>();
        WsConnection.open(HTTP, URI.create(uri), bearer, Duration.ofSeconds(5), new WsConnection.Handler() {
            @Override
            public void onFrame(ServerFrame frame) {
            }

            @Override
            public void onClose(int status, String reason) {
                code.complete(status);
            }
        }).join();
        return code.get(10, TimeUnit.SECONDS);
    }
}
