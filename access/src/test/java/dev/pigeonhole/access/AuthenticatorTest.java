package dev.pigeonhole.access;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pigeonhole.protocol.Identity;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AuthenticatorTest {
    @TempDir
    Path dir;

    private Authenticator authenticator(TestKeys keys, boolean devIdentity) {
        return new Authenticator(Optional.of(new TokenVerifier(new TokenVerifier.Settings("iss", keys.publicPem.toString(),
                null, Duration.ofSeconds(5), false))), devIdentity);
    }

    @Test
    void takesTheTokenFromTheHeaderOrTheQuery() throws Exception {
        TestKeys keys = new TestKeys(dir);
        String token = keys.sign(keys.claims("iss", "alice", "phone"));
        Authenticator auth = authenticator(keys, false);
        assertThat(auth.authenticate("Bearer " + token, Map.of())).isEqualTo(new Identity("alice", "phone"));
        assertThat(auth.authenticate("bearer  " + token, Map.of())).isEqualTo(new Identity("alice", "phone"));
        assertThat(auth.authenticate(null, Map.of("access_token", token))).isEqualTo(new Identity("alice", "phone"));
    }

    @Test
    void queryParametersNamingSomeoneElseAreRefused() {
        TestKeys keys = new TestKeys(dir);
        String token = keys.sign(keys.claims("iss", "alice", "phone"));
        Authenticator auth = authenticator(keys, true);
        assertThatThrownBy(() -> auth.authenticate("Bearer " + token, Map.of("user", "bob", "device", "phone")))
                .hasMessage("the token is for alice/phone");
        assertThatThrownBy(() -> auth.authenticate("Bearer " + token, Map.of("device", "laptop")))
                .isInstanceOf(AuthException.class);
    }

    @Test
    void anInvalidTokenIsNeverReplacedByTheDevIdentity() {
        TestKeys keys = new TestKeys(dir);
        Authenticator auth = authenticator(keys, true);
        assertThatThrownBy(() -> auth.authenticate("Bearer nonsense", Map.of("user", "alice", "device", "phone")))
                .isInstanceOf(AuthException.class);
    }

    @Test
    void devIdentityOnlyWhenEnabled() throws Exception {
        Authenticator dev = new Authenticator(Optional.empty(), true);
        assertThat(dev.authenticate(null, Map.of("user", "alice", "device", "phone"))).isEqualTo(new Identity("alice", "phone"));
        Authenticator prod = new Authenticator(Optional.empty(), false);
        assertThatThrownBy(() -> prod.authenticate(null, Map.of("user", "alice", "device", "phone")))
                .hasMessage("bearer token required");
        assertThatThrownBy(() -> prod.authenticate("Bearer x.y.z", Map.of()))
                .hasMessage("tokens are not configured on this server");
    }
}
