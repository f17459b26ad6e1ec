package dev.pigeonhole.access;

import dev.pigeonhole.protocol.Identity;
import dev.pigeonhole.protocol.Ids;
import io.smallrye.jwt.auth.principal.DefaultJWTParser;
import io.smallrye.jwt.auth.principal.JWTAuthContextInfo;
import io.smallrye.jwt.auth.principal.ParseException;
import java.time.Duration;
import java.util.Set;
import org.jose4j.jwt.consumer.ErrorCodes;
import org.jose4j.jwt.consumer.InvalidJwtException;
import org.jose4j.lang.InvalidAlgorithmException;
import org.eclipse.microprofile.jwt.JsonWebToken;

/**
 * Verifies bearer tokens (signed JWTs, RS256 by default) with SmallRye JWT: signature against the configured key,
 * issuer, expiry (required) and not-before within the clock skew, optional audience; {@code iat} is optional.
 * The user is {@code sub}, the device the {@code device} claim; both must be valid ids. Tokens marked
 * {@code pigeonhole_dev} (minted by the standalone mode) are refused unless {@code acceptDevTokens}.
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
        // exp is always required; iat is not (RFC 7519 makes it optional): a non-positive time-to-live turns off
        // SmallRye's iat requirement. sub and device are checked below, with their own reason.
        info.setMaxTimeToLiveSecs(0L);
        info.setRequireNamedPrincipal(false);
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

    /**
     * A short reason for the client, from jose4j's error codes (never from message text, which quotes the token's
     * claims). The first that applies: signature, missing exp, expired, not valid yet, issuer, audience.
     */
    private static String reason(Throwable e) {
        InvalidJwtException invalid = null;
        for (Throwable t = e; t != null && invalid == null; t = t.getCause()) {
            if (t instanceof InvalidJwtException i) {
                invalid = i;
            }
        }
        if (invalid == null) {
            return "token not valid";
        }
        if (invalid.hasErrorCode(ErrorCodes.SIGNATURE_INVALID) || invalid.hasErrorCode(ErrorCodes.SIGNATURE_MISSING)
                || invalid.getCause() instanceof InvalidAlgorithmException) {
            return "token signature not valid";
        }
        if (invalid.hasErrorCode(ErrorCodes.EXPIRATION_MISSING)) {
            return "token has no exp claim";
        }
        if (invalid.hasErrorCode(ErrorCodes.EXPIRED)) {
            return "token expired";
        }
        if (invalid.hasErrorCode(ErrorCodes.NOT_YET_VALID)) {
            return "token not valid yet";
        }
        if (invalid.hasErrorCode(ErrorCodes.ISSUER_INVALID) || invalid.hasErrorCode(ErrorCodes.ISSUER_MISSING)) {
            return "token issuer not accepted";
        }
        if (invalid.hasErrorCode(ErrorCodes.AUDIENCE_INVALID) || invalid.hasErrorCode(ErrorCodes.AUDIENCE_MISSING)) {
            return "token audience not accepted";
        }
        return "token not valid";
    }
}
