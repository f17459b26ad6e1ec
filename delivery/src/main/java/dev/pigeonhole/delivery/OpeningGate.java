package dev.pigeonhole.delivery;

import io.quarkus.websockets.next.HttpUpgradeCheck;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Sheds reconnect storms before they cost anything: while {@code max-opening} sockets of this instance are still
 * opening, the {@code /v1/inbox} upgrade is answered with 503 and a random {@code Retry-After} of 1–5 s (spreading
 * the retries), before any authentication, Kafka write or router read. The same while the instance drains its
 * sockets on shutdown (the clients go to the other instances).
 */
@ApplicationScoped
public class OpeningGate implements HttpUpgradeCheck {
    static final int MAX_RETRY_AFTER_SECONDS = 5;

    private final DeliveryService service;

    OpeningGate(DeliveryService service) {
        this.service = service;
    }

    @Override
    public boolean appliesTo(String endpointId) {
        return InboxSocket.class.getName().equals(endpointId);
    }

    @Override
    public Uni<CheckResult> perform(HttpUpgradeContext context) {
        if (service.admitsOpening()) {
            return CheckResult.permitUpgrade();
        }
        int retryAfter = ThreadLocalRandom.current().nextInt(1, MAX_RETRY_AFTER_SECONDS + 1);
        return CheckResult.rejectUpgrade(503, Map.of("Retry-After", List.of(Integer.toString(retryAfter))));
    }
}
