package dev.pigeonhole.protocol;

import java.util.Map;
import java.util.Optional;

/**
 * DEV ONLY: identity taken from the {@code user} and {@code device} query parameters, without any proof.
 * Services accept it only when their {@code dev-identity} setting is on (the standalone mode); production
 * configurations leave it off.
 */
public final class DevIdentity {
    private DevIdentity() {}

    /** The identity of a handshake, if dev identity is {@code enabled} and both parameters are valid. */
    public static Optional<Identity> resolve(boolean enabled, Map<String, String> queryParams) {
        return enabled ? from(queryParams) : Optional.empty();
    }

    /** Why {@link #resolve} gave nothing: the close reason / error message for the client. */
    public static String refusal(boolean enabled) {
        return enabled ? "user and device query parameters required"
                : "no accepted credentials (dev identity is disabled)";
    }

    public static Optional<Identity> from(Map<String, String> queryParams) {
        String user = queryParams.get("user");
        String device = queryParams.get("device");
        if (!Ids.validName(user) || !Ids.validName(device)) {
            return Optional.empty();
        }
        return Optional.of(new Identity(user, device));
    }
}
