package dev.pigeonhole.gateway;

import io.quarkus.websockets.next.HttpUpgradeCheck;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * While the instance drains its sockets on shutdown, a {@code /v1/send} upgrade is answered with 503 and a random
 * {@code Retry-After} of 1–5 s (as delivery's {@code OpeningGate}): the client goes to another instance.
 */
@ApplicationScoped
public class DrainGate implements HttpUpgradeCheck {
    static final int MAX_RETRY_AFTER_SECONDS = 5;

    private final GatewayConnections connections;

    DrainGate(GatewayConnections connections) {
        this.connections = connections;
    }

    @Override
    public boolean appliesTo(String endpointId) {
        return SendSocket.class.getName().equals(endpointId);
    }

    @Override
    public Uni<CheckResult> perform(HttpUpgradeContext context) {
        if (!connections.draining()) {
            return CheckResult.permitUpgrade();
        }
        int retryAfter = ThreadLocalRandom.current().nextInt(1, MAX_RETRY_AFTER_SECONDS + 1);
        return CheckResult.rejectUpgrade(503, Map.of("Retry-After", List.of(Integer.toString(retryAfter))));
    }
}
