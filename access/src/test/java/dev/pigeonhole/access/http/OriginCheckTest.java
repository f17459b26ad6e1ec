package dev.pigeonhole.access.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pigeonhole.access.AuthConfig;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class OriginCheckTest {

    private static OriginCheck check(List<String> origins, List<String> hosts) {
        return new OriginCheck(new AuthConfig() {
            public Optional<String> issuer() { return Optional.empty(); }
            public Optional<String> publicKeyLocation() { return Optional.empty(); }
            public Optional<String> audience() { return Optional.empty(); }
            public Duration clockSkew() { return Duration.ZERO; }
            public boolean devIdentity() { return true; }
            public Optional<List<String>> allowedOrigins() { return Optional.of(origins); }
            public Optional<List<String>> allowedHosts() { return Optional.of(hosts); }
            public boolean acceptDevTokens() { return false; }
        });
    }

    @Test
    void browsersFromOtherOriginsAreRefusedOthersPass() {
        OriginCheck c = check(List.of("https://chat.example.com"), List.of());
        assertThat(c.refusal(null, "api.example.com")).as("no Origin: not a browser").isNull();
        assertThat(c.refusal("https://chat.example.com", "api.example.com")).as("listed").isNull();
        assertThat(c.refusal("HTTPS://Chat.Example.com/", "api.example.com")).as("as browsers may spell it").isNull();
        assertThat(c.refusal("https://api.example.com", "api.example.com")).as("same origin (Vert.x, Netty send it)").isNull();
        assertThat(c.refusal("https://evil.example", "api.example.com")).contains("origin https://evil.example");
        assertThat(c.refusal("null", "api.example.com")).as("sandboxed frames, file://").isNotNull();
        assertThat(c.refusal("https://api.example.com.evil.example", "api.example.com")).isNotNull();
        assertThat(check(List.of("*"), List.of()).refusal("https://evil.example", "api.example.com")).isNull();
    }

    @Test
    void allowedHostsStopDnsRebinding() {
        OriginCheck c = check(List.of(), List.of("127.0.0.1", "localhost"));
        assertThat(c.refusal("http://127.0.0.1:8080", "127.0.0.1:8080")).isNull();
        assertThat(c.refusal(null, "localhost:9999")).as("any port: a proxy in front may change it").isNull();
        assertThat(c.refusal("http://evil.example:8080", "evil.example:8080")).as("rebound name, 'same origin'")
                .contains("host evil.example:8080");
        assertThat(c.refusal(null, null)).isNotNull();
        assertThat(OriginCheck.hostName("[::1]:8080")).isEqualTo("[::1]");
        assertThat(OriginCheck.hostName("[::1]")).isEqualTo("[::1]");
    }
}
