package dev.pigeonhole.gateway;

import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * Not ready from the moment the instance drains its sockets on shutdown: Quarkus' own shutdown check is told by a
 * pre-shutdown listener that may run only after the one the drain blocks.
 */
@Readiness
@ApplicationScoped
public class DrainReadiness implements HealthCheck {
    private final GatewayConnections connections;

    DrainReadiness(GatewayConnections connections) {
        this.connections = connections;
    }

    @Override
    public HealthCheckResponse call() {
        return HealthCheckResponse.named("pigeonhole-gateway-draining").status(!connections.draining()).build();
    }
}
