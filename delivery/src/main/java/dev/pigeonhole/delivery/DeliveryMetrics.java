package dev.pigeonhole.delivery;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** Delivery's meters. Plain class so {@link DeviceStream} tests can use a simple registry. */
public final class DeliveryMetrics {
    private final AtomicInteger connections = new AtomicInteger();
    private final AtomicInteger opening = new AtomicInteger();
    private final Counter shed;
    private final Timer openingTime;
    /** How long sockets took to open lately (ms): an exponentially weighted average, weight 1/20 for the newest. */
    private double recentOpeningMillis;
    private final Counter delivered;
    private final Timer liveLatency;
    private final Timer backlogAge;
    private final Counter pushOwn;
    private final Counter pushForeign;
    private final Counter gaps;
    private final Counter displaced;

    public DeliveryMetrics(MeterRegistry registry) {
        Gauge.builder("pigeonhole.delivery.connections", connections, AtomicInteger::get)
                .description("Open /v1/inbox connections").register(registry);
        Gauge.builder("pigeonhole.delivery.opening", opening, AtomicInteger::get)
                .description("Connections announced and still waiting for the router or their first page").register(registry);
        shed = Counter.builder("pigeonhole.delivery.shed")
                .description("/v1/inbox upgrades refused with 503 + Retry-After: too many connections were opening")
                .register(registry);
        openingTime = Timer.builder("pigeonhole.delivery.opening.time")
                .description("Announced -> first page (or closed by the server before): how long a socket takes to open")
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofSeconds(60)).register(registry);
        delivered = Counter.builder("pigeonhole.delivery.entries").description("Entries written to sockets")
                .register(registry);
        liveLatency = Timer.builder("pigeonhole.delivery.latency").tag("phase", "live")
                .description("Accepted by the gateway -> written to the recipient's socket")
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofSeconds(30)).register(registry);
        backlogAge = Timer.builder("pigeonhole.delivery.latency").tag("phase", "backlog")
                .description("Accepted by the gateway -> written to the recipient's socket")
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofDays(7)).register(registry);
        pushOwn = Counter.builder("pigeonhole.delivery.push.records").tag("addressed", "this-instance")
                .description("Push records read from this instance's partition").register(registry);
        pushForeign = Counter.builder("pigeonhole.delivery.push.records").tag("addressed", "other-instance")
                .description("Push records read from this instance's partition").register(registry);
        gaps = Counter.builder("pigeonhole.delivery.gaps")
                .description("gap frames sent: a device was behind entries retention had removed").register(registry);
        displaced = Counter.builder("pigeonhole.delivery.displaced")
                .description("Sockets closed because a newer socket of the same device opened, or the device was removed")
                .register(registry);
    }

    /** A socket opened; it counts as opening until {@link #openingEnded()}. */
    void opened() {
        connections.incrementAndGet();
        opening.incrementAndGet();
    }

    /** The socket's first page was read, or it closed before; {@code millis} it took, or -1 when not telling. */
    void openingEnded(long millis) {
        opening.decrementAndGet();
        if (millis >= 0) {
            openingTime.record(millis, TimeUnit.MILLISECONDS);
            synchronized (this) {
                recentOpeningMillis += (millis - recentOpeningMillis) / 20;
            }
        }
    }

    synchronized double recentOpeningMillis() {
        return recentOpeningMillis;
    }

    int opening() {
        return opening.get();
    }

    void shed() {
        shed.increment();
    }

    void closed() {
        connections.decrementAndGet();
    }

    int connections() {
        return connections.get();
    }

    void delivered(boolean live, long sentAt) {
        delivered.increment();
        long age = Math.max(0, System.currentTimeMillis() - sentAt);
        (live ? liveLatency : backlogAge).record(age, TimeUnit.MILLISECONDS);
    }

    void gap() {
        gaps.increment();
    }

    void displaced() {
        displaced.increment();
    }

    void push(boolean forThisInstance) {
        (forThisInstance ? pushOwn : pushForeign).increment();
    }
}
