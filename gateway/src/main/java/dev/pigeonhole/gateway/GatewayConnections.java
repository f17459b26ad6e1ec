package dev.pigeonhole.gateway;

import dev.pigeonhole.access.ConnectionLimiter;
import dev.pigeonhole.access.PendingWrites;
import dev.pigeonhole.access.SendLimiter;
import dev.pigeonhole.access.SendBudget;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.concurrent.atomic.AtomicInteger;

/** The {@code /v1/send} connections of this instance: their count, limits and per-connection budgets. */
@Startup // its meters exist from the start, so dashboards show 0 rather than no data
@ApplicationScoped
public class GatewayConnections {
    private final AtomicInteger open = new AtomicInteger();
    private final SendLimiter limits;
    private final ConnectionLimiter limiter;

    GatewayConnections(MeterRegistry registry, SendLimiter limits) {
        this.limits = limits;
        this.limiter = limits.newConnectionLimiter();
        Gauge.builder("pigeonhole.gateway.connections", open, AtomicInteger::get)
                .description("Open /v1/send connections").register(registry);
    }

    ConnectionLimiter limiter() {
        return limiter;
    }

    SendBudget newBudget() {
        return limits.newConnectionBudget();
    }

    PendingWrites newPendingWrites() {
        return limits.newPendingWrites();
    }

    void opened() {
        open.incrementAndGet();
    }

    void closed() {
        open.decrementAndGet();
    }
}
