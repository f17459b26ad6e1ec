package dev.pigeonhole.delivery;

import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * Ready once this instance reads its push partition (before that, live entries would be missed), and no longer once
 * it drains its sockets on shutdown.
 */
@Readiness
@ApplicationScoped
public class PushReadiness implements HealthCheck {
    private final DeliveryService service;

    PushReadiness(DeliveryService service) {
        this.service = service;
    }

    @Override
    public HealthCheckResponse call() {
        return HealthCheckResponse.named("pigeonhole-push-partition").status(service.ready())
                .withData("draining", service.draining()).build();
    }
}
