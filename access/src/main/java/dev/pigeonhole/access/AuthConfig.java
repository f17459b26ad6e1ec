package dev.pigeonhole.access;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** Who may connect ({@code pigeonhole.auth.*}); shared by the gateway and delivery. */
@ConfigMapping(prefix = "pigeonhole.auth")
public interface AuthConfig {

    /** Expected {@code iss} of bearer tokens. Without it (and a key), tokens are refused. */
    Optional<String> issuer();

    /** Verification key: a PEM public key or a JWK/JWKS, as a file path or an https URL. */
    Optional<String> publicKeyLocation();

    /** Expected {@code aud}; not checked when unset. */
    Optional<String> audience();

    /** Tolerance for {@code exp}/{@code iat} between clocks. */
    @WithDefault("PT30S")
    Duration clockSkew();

    /** DEV ONLY: accept {@code ?user=&device=} without a token. The standalone mode turns it on. */
    @WithDefault("false")
    boolean devIdentity();

    /**
     * Web origins whose pages may connect besides the server's own ({@code https://chat.example.com}; {@code *}: any).
     * A request carrying an {@code Origin} header — every WebSocket handshake and cross-origin request a browser
     * makes — from another origin than these and the request's {@code Host} gets 403.
     */
    Optional<List<String>> allowedOrigins();

    /** Host names ({@code localhost}); when set, a request to another {@code Host} gets 403 (DNS rebinding). */
    Optional<List<String>> allowedHosts();

    /** DEV ONLY: accept tokens minted by the standalone mode (claim {@code pigeonhole_dev}). */
    @WithDefault("false")
    boolean acceptDevTokens();
}
