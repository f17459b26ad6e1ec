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
        return DevIdentity.resolve(devIdentity, QueryParams.parse(query));
    }

    String refusal() {
        return DevIdentity.refusal(devIdentity);
    }
}
