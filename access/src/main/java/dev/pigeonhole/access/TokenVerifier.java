package dev.pigeonhole.access;

import dev.pigeonhole.protocol.Identity;
import dev.pigeonhole.protocol.Ids;
import io.smallrye.jwt.auth.principal.DefaultJWTParser;
import io.smallrye.jwt.auth.principal.JWTAuthContextInfo;
import io.smallrye.jwt.auth.principal.ParseException;
import java.time.Duration;
import java.util.Set;
import org.eclipse.microprofile.jwt.JsonWebToken;

/**
 * Verifies bearer tokens (signed JWTs, RS256 by default) with SmallRye JWT: signature against the configured key,
 * issuer, expiry (required) within the clock skew, optional audience. The user is {@code sub}, the device the
 * {@code device} claim; both must be valid ids. Tokens marked {@code pigeonhole_dev} (minted by the standalone
 * mode) are refused unless {@code acceptDevTokens}.
 */
public final class TokenVerifier {
    public static final String DEVICE_CLAIM = "device";
    public static final String DEV_CLAIM = "pigeonhole_dev";

    /**
     * @param publicKeyLocation a PEM public key or JWK/JWKS, as a file path or URL
     * @param audience          expected {@code aud}, or null to not check it
     */
    public record Settings(String issuer, String publicKeyLocation, String audience, Duration clockSkew,
                           boolean acceptDevTokens) {}

    private final DefaultJWTParser parser;
    private final boolean acceptDevTokens;

    public TokenVerifier(Settings settings) {
        JWTAuthContextInfo info = new JWTAuthContextInfo(settings.publicKeyLocation(), settings.issuer());
        info.setClockSkew((int) settings.clockSkew().toSeconds());
        info.setRequiredClaims(Set.of("exp", "sub", DEVICE_CLAIM));
        if (settings.audience() != null) {
            info.setExpectedAudience(Set.of(settings.audience()));
        }
        this.parser = new DefaultJWTParser(info);
        this.acceptDevTokens = settings.acceptDevTokens();
    }

    public Identity verify(String token) throws AuthException {
        JsonWebToken jwt;
        try {
            jwt = parser.parse(token);
        } catch (ParseException | RuntimeException e) {
            throw new AuthException(reason(e));
        }
        String user = jwt.getSubject();
        Object device = jwt.getClaim(DEVICE_CLAIM);
        if (!Ids.validName(user) || !(device instanceof String d) || !Ids.validName(d)) {
            throw new AuthException("token has no valid sub and device claims");
        }
        if (!acceptDevTokens && Boolean.TRUE.equals(asBoolean(jwt.getClaim(DEV_CLAIM)))) {
            throw new AuthException("dev tokens are not accepted here");
        }
        return new Identity(user, (String) device);
    }

    private static Boolean asBoolean(Object claim) {
        if (claim instanceof Boolean b) {
            return b;
        }
        if (claim instanceof jakarta.json.JsonValue v) {
            return v.getValueType() == jakarta.json.JsonValue.ValueType.TRUE;
        }
        return null;
    }

    /** A short reason for the client; the library's message may quote the token, so only its kind is kept. */
    private static String reason(Throwable e) {
        String all = "";
        for (Throwable t = e; t != null; t = t.getCause()) {
            all += " " + t.getClass().getSimpleName() + ":" + t.getMessage();
        }
        String lower = all.toLowerCase();
        if (lower.contains("expir")) {
            return "token expired";
        }
        if (lower.contains("issuer") || lower.contains("iss ")) {
            return "token issuer not accepted";
        }
        if (lower.contains("audience") || lower.contains("aud ")) {
            return "token audience not accepted";
        }
        if (lower.contains("signature") || lower.contains("alg")) {
            return "token signature not valid";
        }
        return "token not valid";
    }
}
