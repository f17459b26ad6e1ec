package dev.pigeonhole.gateway;

import dev.pigeonhole.protocol.DevIdentity;
import dev.pigeonhole.protocol.Identity;
import dev.pigeonhole.protocol.QueryParams;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Optional;

/** Who is sending. Until token authentication exists, only the dev identity (query parameters) is accepted. */
@ApplicationScoped
public class Identities {
    private final boolean devIdentity;

    Identities(GatewayConfig config) {
        this.devIdentity = config.devIdentity();
    }

    Optional<Identity> resolve(String query) {
        return devIdentity ? DevIdentity.from(QueryParams.parse(query)) : Optional.empty();
    }

    String refusal() {
        return devIdentity ? "user and device query parameters required"
                : "no accepted credentials (dev identity is disabled)";
    }
}
