package dev.pigeonhole.gateway;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.concurrent.atomic.AtomicInteger;

@ApplicationScoped
public class GatewayMetrics {
    private final AtomicInteger connections = new AtomicInteger();

    GatewayMetrics(MeterRegistry registry) {
        Gauge.builder("pigeonhole.gateway.connections", connections, AtomicInteger::get)
                .description("Open /v1/send connections").register(registry);
    }

    void opened() {
        connections.incrementAndGet();
    }

    void closed() {
        connections.decrementAndGet();
    }
}
