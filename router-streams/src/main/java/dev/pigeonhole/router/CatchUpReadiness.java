package dev.pigeonhole.router;

import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * Ready once caught up ({@link CatchUp}): quarkus-kafka-streams' own readiness only says the topics exist, so a
 * restarted router was ready (and a rollout moved on) while its stores were still being restored.
 */
@Readiness
@ApplicationScoped
public class CatchUpReadiness implements HealthCheck {
    private final CatchUp catchUp;

    CatchUpReadiness(CatchUp catchUp) {
        this.catchUp = catchUp;
    }

    @Override
    public HealthCheckResponse call() {
        return HealthCheckResponse.named("pigeonhole-router-caught-up").status(catchUp.ready())
                .withData("state", catchUp.state().name())
                .withData("restoring", catchUp.restoring())
                .withData("caughtUp", catchUp.caughtUp())
                .build();
    }
}
