package dev.pigeonhole.router;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/** Counters the topology updates; the application binds them to its registry, tests to a simple one. */
public final class RouterMetrics {
    private final Counter duplicates;

    public RouterMetrics(MeterRegistry registry) {
        this.duplicates = Counter.builder("pigeonhole.router.duplicates")
                .description("Sends dropped because their (device, id) was already routed")
                .register(registry);
    }

    public static RouterMetrics detached() {
        return new RouterMetrics(new SimpleMeterRegistry());
    }

    void duplicate() {
        duplicates.increment();
    }
}
