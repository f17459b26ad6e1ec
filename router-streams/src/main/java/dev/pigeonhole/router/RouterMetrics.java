package dev.pigeonhole.router;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/** Counters the topology updates; the application binds them to its registry, tests to a simple one. */
public final class RouterMetrics {
    private final Counter duplicates;
    private final Counter groupSends;
    private final Counter groupCopies;
    private final Counter groupRefused;

    public RouterMetrics(MeterRegistry registry) {
        this.duplicates = Counter.builder("pigeonhole.router.duplicates")
                .description("Sends dropped because their (device, id) was already routed")
                .register(registry);
        this.groupSends = Counter.builder("pigeonhole.router.group.sends")
                .description("Sends to groups fanned out").register(registry);
        this.groupCopies = Counter.builder("pigeonhole.router.group.copies")
                .description("Copies written for group members (fan-out cost)").register(registry);
        this.groupRefused = Counter.builder("pigeonhole.router.group.refused")
                .description("Group sends refused: unknown group or sender not a member").register(registry);
    }

    public static RouterMetrics detached() {
        return new RouterMetrics(new SimpleMeterRegistry());
    }

    void duplicate() {
        duplicates.increment();
    }

    void fannedOut(int members) {
        groupSends.increment();
        groupCopies.increment(members);
    }

    void groupRefused() {
        groupRefused.increment();
    }
}
