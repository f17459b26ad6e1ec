package dev.pigeonhole.access;

import dev.pigeonhole.protocol.DevIdentity;
import dev.pigeonhole.protocol.Identity;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.Map;
import java.util.Optional;

/**
 * Tells who is connecting, from a WebSocket handshake or an HTTP request: a bearer token in the
 * {@code Authorization} header, else in the {@code access_token} query parameter (for browsers), else — only when
 * dev identity is on — the {@code user} and {@code device} query parameters. A token that is present but not
 * valid is refused, never ignored in favour of another credential. Query parameters that name someone other
 * than the token's holder are refused too.
 */
@ApplicationScoped
public class Authenticator {
    private final Optional<TokenVerifier> tokens;
    private final boolean devIdentity;

    @Inject
    Authenticator(AuthConfig config) {
        this(config.issuer().isPresent() && config.publicKeyLocation().isPresent()
                ? Optional.of(new TokenVerifier(new TokenVerifier.Settings(config.issuer().get(),
                        config.publicKeyLocation().get(), config.audience().orElse(null), config.clockSkew(),
                        config.acceptDevTokens())))
                : Optional.empty(), config.devIdentity());
    }

    public Authenticator(Optional<TokenVerifier> tokens, boolean devIdentity) {
        this.tokens = tokens;
        this.devIdentity = devIdentity;
    }

    /**
     * @param authorization the {@code Authorization} header, or null
     * @param query         decoded query parameters
     */
    public Identity authenticate(String authorization, Map<String, String> query) throws AuthException {
        String token = bearer(authorization);
        if (token == null) {
            token = query.get("access_token");
        }
        if (token != null && !token.isEmpty()) {
            if (tokens.isEmpty()) {
                throw new AuthException("tokens are not configured on this server");
            }
            Identity identity = tokens.get().verify(token);
            String user = query.get("user");
            String device = query.get("device");
            if ((user != null && !user.equals(identity.user())) || (device != null && !device.equals(identity.device()))) {
                throw new AuthException("the token is for " + identity.user() + "/" + identity.device());
            }
            return identity;
        }
        if (devIdentity) {
            return DevIdentity.from(query)
                    .orElseThrow(() -> new AuthException(DevIdentity.refusal(true)));
        }
        throw new AuthException("bearer token required");
    }

    private static String bearer(String authorization) {
        if (authorization == null) {
            return null;
        }
        String trimmed = authorization.trim();
        return trimmed.regionMatches(true, 0, "Bearer ", 0, 7) ? trimmed.substring(7).trim() : null;
    }
}
