package dev.pigeonhole.access;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pigeonhole.protocol.Identity;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenVerifierTest {
    private static final String ISSUER = "https://id.example";
    @TempDir
    Path dir;
    private TestKeys keys;
    private TokenVerifier verifier;

    @BeforeEach
    void setUp() {
        keys = new TestKeys(dir);
        verifier = new TokenVerifier(new TokenVerifier.Settings(ISSUER, keys.publicPem.toString(), null,
                Duration.ofSeconds(5), false));
    }

    @Test
    void aValidTokenGivesItsUserAndDevice() throws Exception {
        assertThat(verifier.verify(keys.sign(keys.claims(ISSUER, "alice", "phone"))))
                .isEqualTo(new Identity("alice", "phone"));
    }

    @Test
    void expiredTokensAreRefused() {
        String token = keys.sign(keys.claims(ISSUER, "alice", "phone")
                .issuedAt(Instant.now().minusSeconds(7200)).expiresAt(Instant.now().minusSeconds(60)));
        assertRefused(token, "token expired");
    }

    @Test
    void tokensOfAnotherIssuerAreRefused() {
        assertRefused(keys.sign(keys.claims("https://evil.example", "alice", "phone")), "token issuer not accepted");
    }

    @Test
    void tokensForAnotherAudienceAreRefusedAsSuch() {
        String issuer = "https://issuer.example"; // the claims in jose4j's message must not decide the reason
        TokenVerifier withAudience = new TokenVerifier(new TokenVerifier.Settings(issuer, keys.publicPem.toString(),
                "pigeonhole", Duration.ofSeconds(5), false));
        assertThatThrownBy(() -> withAudience.verify(keys.sign(keys.claims(issuer, "alice", "phone").audience("other"))))
                .isInstanceOf(AuthException.class).hasMessage("token audience not accepted");
        assertThatThrownBy(() -> withAudience.verify(keys.sign(keys.claims(issuer, "alice", "phone"))))
                .isInstanceOf(AuthException.class).hasMessage("token audience not accepted");
    }

    @Test
    void aTokenWithoutExpIsRefusedAsSuch() {
        assertRefused(keys.signRaw("{\"iss\":\"" + ISSUER + "\",\"sub\":\"alice\",\"device\":\"phone\",\"iat\":"
                + Instant.now().getEpochSecond() + "}"), "token has no exp claim");
    }

    @Test
    void aTokenWithoutIatIsAccepted() throws Exception {
        String token = keys.signRaw("{\"iss\":\"" + ISSUER + "\",\"sub\":\"alice\",\"device\":\"phone\",\"exp\":"
                + (Instant.now().getEpochSecond() + 600) + "}");
        assertThat(verifier.verify(token)).isEqualTo(new Identity("alice", "phone"));
    }

    @Test
    void aTokenNotValidYetIsRefusedAsSuch() {
        assertRefused(keys.sign(keys.claims(ISSUER, "alice", "phone").claim("nbf", Instant.now().getEpochSecond() + 600)),
                "token not valid yet");
    }

    @Test
    void aWrongIssuerAndAnExpiredTokenNamesTheExpiry() {
        assertRefused(keys.sign(keys.claims("https://evil.example", "alice", "phone")
                .issuedAt(Instant.now().minusSeconds(7200)).expiresAt(Instant.now().minusSeconds(60))), "token expired");
    }

    @Test
    void tokensWithoutAValidSubjectAreRefusedAsSuch() {
        assertRefused(keys.signRaw("{\"iss\":\"" + ISSUER + "\",\"device\":\"phone\",\"exp\":"
                + (Instant.now().getEpochSecond() + 600) + "}"), "token has no valid sub and device claims");
    }

    @Test
    void tokensSignedWithAnotherKeyAreRefused() {
        TestKeys other = new TestKeys(dir);
        assertRefused(other.sign(other.claims(ISSUER, "alice", "phone")), "token signature not valid");
    }

    @Test
    void tokensWithAnotherAlgorithmAreRefused() throws Exception {
        org.jose4j.jws.JsonWebSignature hs256 = new org.jose4j.jws.JsonWebSignature();
        hs256.setPayload("{\"iss\":\"" + ISSUER + "\",\"sub\":\"alice\",\"device\":\"phone\",\"exp\":"
                + (Instant.now().getEpochSecond() + 600) + "}");
        hs256.setAlgorithmHeaderValue(org.jose4j.jws.AlgorithmIdentifiers.HMAC_SHA256);
        hs256.setKey(new org.jose4j.keys.HmacKey(keys.pair.getPublic().getEncoded())); // the public key as secret
        assertRefused(hs256.getCompactSerialization(), "token signature not valid");
    }

    @Test
    void unsignedTokensAreRefused() {
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        String header = b64.encodeToString("{\"alg\":\"none\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8));
        String payload = b64.encodeToString(("{\"iss\":\"" + ISSUER + "\",\"sub\":\"alice\",\"device\":\"phone\",\"exp\":"
                + (Instant.now().getEpochSecond() + 3600) + "}").getBytes(StandardCharsets.UTF_8));
        assertRefused(header + "." + payload + ".", "token signature not valid");
    }

    @Test
    void tokensWithoutAValidDeviceAreRefused() {
        String noDevice = keys.sign(io.smallrye.jwt.build.Jwt.claims().issuer(ISSUER).subject("alice").expiresIn(600));
        assertRefused(noDevice, "token has no valid sub and device claims");
        assertRefused(keys.sign(keys.claims(ISSUER, "alice", "a/b")), "token has no valid sub and device claims");
    }

    @Test
    void devTokensAreRefusedUnlessAccepted() throws Exception {
        String dev = keys.sign(keys.claims(ISSUER, "alice", "phone").claim("pigeonhole_dev", true));
        assertRefused(dev, "dev tokens are not accepted here");
        TokenVerifier devMode = new TokenVerifier(new TokenVerifier.Settings(ISSUER, keys.publicPem.toString(), null,
                Duration.ofSeconds(5), true));
        assertThat(devMode.verify(dev)).isEqualTo(new Identity("alice", "phone"));
    }

    @Test
    void garbageIsRefused() {
        for (String token : new String[] {"", "x", "a.b.c"}) {
            assertRefused(token, "token not valid");
        }
        assertRefused("eyJhbGciOiJSUzI1NiJ9.e30.AAAA", "token signature not valid");
    }

    private void assertRefused(String token, String reason) {
        assertThatThrownBy(() -> verifier.verify(token)).isInstanceOf(AuthException.class).hasMessage(reason);
    }
}
