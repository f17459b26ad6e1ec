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

    public static Optional<Identity> from(Map<String, String> queryParams) {
        String user = queryParams.get("user");
        String device = queryParams.get("device");
        if (!Ids.validName(user) || !Ids.validName(device)) {
            return Optional.empty();
        }
        return Optional.of(new Identity(user, device));
    }
}
