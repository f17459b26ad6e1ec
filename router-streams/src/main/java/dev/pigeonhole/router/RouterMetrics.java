package dev.pigeonhole.router;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/** Counters the topology updates; the application binds them to its registry, tests to a simple one. */
public final class RouterMetrics {
    private final Counter appended;
    private final Counter duplicates;
    private final Counter notices;
    private final Counter deadLetters;
    private final Counter devicesRefused;
    private final MeterRegistry registry;

    public RouterMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.appended = Counter.builder("pigeonhole.router.appends")
                .description("Entries appended to inboxes (message copies and notices)").register(registry);
        this.duplicates = Counter.builder("pigeonhole.router.duplicates")
                .description("Appends dropped because the inbox already had the entry (a resend, or a relayed copy)")
                .register(registry);
        this.notices = Counter.builder("pigeonhole.router.notices")
                .description("Receipts and undelivered notices written for other inboxes").register(registry);
        this.deadLetters = Counter.builder("pigeonhole.router.dead.letters")
                .description("Records the router could not read, moved to pigeonhole-dead-letters").register(registry);
        this.devicesRefused = Counter.builder("pigeonhole.router.devices.refused")
                .description("Connects of a new device refused: the user had max-devices-per-user registered")
                .register(registry);
    }

    public static RouterMetrics detached() {
        return new RouterMetrics(new SimpleMeterRegistry());
    }

    void appended() {
        appended.increment();
    }

    void duplicate() {
        duplicates.increment();
    }

    void notice() {
        notices.increment();
    }

    void deadLetter() {
        deadLetters.increment();
    }

    void deviceRefused() {
        devicesRefused.increment();
    }

    /** A shadow request answered: {@code op} get/update/delete, {@code outcome} accepted or the rejection's code. */
    void shadow(String op, String outcome) {
        Counter.builder("pigeonhole.router.shadow.requests").description("Device shadow requests applied, by outcome")
                .tag("op", op).tag("outcome", outcome).register(registry).increment();
    }
}
