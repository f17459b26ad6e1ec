package dev.pigeonhole.delivery;

import dev.pigeonhole.access.AuthException;
import dev.pigeonhole.access.Authenticator;
import dev.pigeonhole.access.ConnectionLimiter;
import dev.pigeonhole.access.Drain;
import dev.pigeonhole.access.PendingWrites;
import dev.pigeonhole.access.SendLimiter;
import dev.pigeonhole.protocol.CloseCode;
import dev.pigeonhole.protocol.Identity;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownDelayInitiatedEvent;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.Startup;
import io.quarkus.websockets.next.CloseReason;
import io.quarkus.websockets.next.OpenConnections;
import io.quarkus.websockets.next.WebSocketConnection;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Opens and closes device streams: registers each with this instance's push dispatch, announces it to the router
 * (the instance's lease, renewed every {@code lease-interval}, keeps them all alive), and on shutdown drains them:
 * closes all with 1001 at {@code drain-rate}.
 */
@Startup
@ApplicationScoped
public class DeliveryService {
    private static final Logger LOG = Logger.getLogger(DeliveryService.class);

    private final DeliveryConfig config;
    private final Authenticator authenticator;
    private final SendLimiter limits;
    private final ConnectionLimiter connections;
    private final DeliveryMetrics metrics;
    private final StreamRegistry registry = new StreamRegistry();
    private final RouterClient router;
    private final DeliveryKafka kafka;
    private final ShadowRequests shadows;
    private final StreamBuffers buffers;
    private final OpenConnections sockets;
    private final Drain<WebSocketConnection> drain;
    private volatile boolean draining;
    private final ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "delivery-timers");
        t.setDaemon(true);
        return t;
    });

    DeliveryService(DeliveryConfig config, MeterRegistry meters, Authenticator authenticator, SendLimiter limits,
                    @ConfigProperty(name = "kafka.bootstrap.servers") String bootstrap,
                    @ConfigProperty(name = "pigeonhole.internal.secret") Optional<String> internalSecret,
                    OpenConnections sockets) {
        this.config = config;
        this.sockets = sockets;
        this.drain = new Drain<>(config.drainRate(), config.drainTimeout());
        this.authenticator = authenticator;
        this.limits = limits;
        this.connections = limits.newUserConnectionLimiter();
        this.metrics = new DeliveryMetrics(meters);
        if (config.pageBytes() < 1 || config.pageBytes() > config.bufferedBytes()) {
            throw new IllegalArgumentException("pigeonhole.delivery.page-bytes must be in 1..buffered-bytes ("
                    + config.bufferedBytes() + "): a read never asks for more than the instance may hold");
        }
        this.buffers = new StreamBuffers(config.bufferedBytes(), timers::execute);
        Gauge.builder("pigeonhole.delivery.buffered", buffers, StreamBuffers::held).baseUnit("bytes")
                .description("Entry bytes read or pushed and not yet written to a socket, all connections")
                .register(meters);
        Gauge.builder("pigeonhole.delivery.buffered.peak", buffers, StreamBuffers::peak).baseUnit("bytes")
                .description("The most entry bytes held at once since start (high-water mark of the above)")
                .register(meters);
        this.router = new RouterClient(config.routerUrl(), internalSecret);
        String instanceId = config.instanceId()
                .or(() -> Optional.ofNullable(System.getenv("HOSTNAME")).filter(h -> !h.isBlank()))
                .orElse("delivery-" + UUID.randomUUID());
        this.kafka = new DeliveryKafka(bootstrap, instanceId, metrics, this::onPush, this::pushInterrupted,
                (task, delay) -> timers.schedule(task, delay.toMillis(), TimeUnit.MILLISECONDS));
        this.shadows = new ShadowRequests(instanceId, kafka::shadow, timers, user -> limits.takeForUser(user, 1));
        Gauge.builder("pigeonhole.delivery.shadow.pending", shadows, ShadowRequests::pending)
                .description("Shadow requests written to the router and not answered yet").register(meters);
        long lease = config.leaseInterval().toMillis();
        timers.scheduleAtFixedRate(kafka::renewLease, lease, lease, TimeUnit.MILLISECONDS); // and once ready
        publishDeletionCost(config.podDeletionCostInterval());
    }

    private void publishDeletionCost(Duration every) {
        if (every.isZero()) {
            return;
        }
        String pod = Optional.ofNullable(System.getenv("POD_NAME")).orElse(System.getenv("HOSTNAME"));
        try {
            PodDeletionCost cost = PodDeletionCost.inCluster(pod);
            timers.scheduleAtFixedRate(() -> cost.update(metrics.connections()), 0, every.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.io.IOException | java.security.GeneralSecurityException e) {
            LOG.warnf("pod-deletion-cost is not published: %s", e.getMessage());
        }
    }

    /** Reads its push partition and is not draining. */
    boolean ready() {
        return kafka.ready() && !draining;
    }

    boolean draining() {
        return draining;
    }

    /**
     * Whether a new socket may open now: not while {@code max-opening} sockets still wait for the router or their
     * first page (a reconnecting fleet is let in as fast as they are served, the rest come back later); and while
     * sockets lately took longer than {@code max-opening-wait} to open, not beyond {@link #SLOW_OPENING}: under
     * sustained overload the instance lets in what it serves promptly, the others wait their {@code Retry-After}
     * instead of queueing toward the store timeout.
     */
    boolean admitsOpening() {
        if (draining) {
            return false; // not counted as shed: the clients are sent elsewhere, not away from an overload
        }
        if (admits(metrics.opening(), metrics.recentOpeningMillis(), config.maxOpening(),
                config.maxOpeningWait().toMillis())) {
            return true;
        }
        metrics.shed();
        return false;
    }

    static final int SLOW_OPENING = 100;

    static boolean admits(int opening, double recentOpeningMillis, int maxOpening, long maxOpeningWaitMillis) {
        return opening < maxOpening && (opening < SLOW_OPENING || recentOpeningMillis <= maxOpeningWaitMillis);
    }

    Identity authenticate(String authorization, Map<String, String> query) throws AuthException {
        return authenticator.authenticate(authorization, query);
    }

    Optional<ConnectionLimiter.Lease> admit(Identity identity) {
        return connections.acquire(identity);
    }

    PendingWrites newPendingWrites() {
        return limits.newPendingWrites();
    }

    Duration slowConsumerTimeout() {
        return limits.slowConsumerTimeout();
    }

    /** Reads {@code after}, {@code epoch}, {@code window} and {@code newest}. */
    DeviceStream.Params params(Map<String, String> query) {
        Long after = optionalLong(query, "after");
        Long epoch = optionalLong(query, "epoch");
        Long window = optionalLong(query, "window");
        Long newest = optionalLong(query, "newest");
        if (window != null && (window < 1 || window > config.maxWindow())) {
            throw new IllegalArgumentException("window must be in 1.." + config.maxWindow());
        }
        if (newest != null && newest > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("newest must be at most " + Integer.MAX_VALUE);
        }
        return new DeviceStream.Params(after, epoch, newest == null ? null : newest.intValue(),
                window == null ? config.defaultWindow() : window.intValue(), config.pageSize(), config.pageBytes(),
                config.storeTimeout());
    }

    DeviceStream open(Identity identity, DeviceStream.Params params, DeviceStream.Outbound out) {
        DeviceStream.Scheduler scheduler = (task, delay) -> timers.schedule(task, delay.toMillis(), TimeUnit.MILLISECONDS);
        DeviceStream stream = new DeviceStream(identity, params, out, router,
                new AckCoalescer(kafka::ack, scheduler, config.ackInterval()), scheduler, System::currentTimeMillis, metrics, buffers);
        metrics.opened();
        try {
            registry.add(stream, () -> kafka.connect(stream));
        } catch (RuntimeException e) {
            registry.remove(stream, () -> { });
            closed(stream);
            throw e;
        }
        stream.start();
        return stream;
    }

    void closed(DeviceStream stream) {
        stream.closed();
        metrics.closed();
        registry.remove(stream, () -> kafka.disconnect(stream));
    }

    /** The push partition was lost and is being re-read from its end: streams must resume from the store. */
    private void pushInterrupted() {
        for (DeviceStream s : registry.all()) {
            s.close(CloseCode.INTERNAL_ERROR, "live feed interrupted; reconnect");
        }
    }

    private void onPush(dev.pigeonhole.records.Push push) {
        if (push instanceof dev.pigeonhole.records.Push.ShadowAnswer a) {
            shadows.answer(a);
        } else {
            registry.dispatch(push);
        }
    }

    /** A shadow request (socket frame or HTTP): the answer frame's JSON text. */
    java.util.concurrent.CompletionStage<String> shadow(Identity caller, dev.pigeonhole.protocol.ClientFrame.Shadow request) {
        return shadows.request(caller, request);
    }

    /** {@code GET /v1/devices}: the user's registered devices, from the router. */
    java.util.concurrent.CompletionStage<byte[]> devices(String user) {
        return router.devices(user);
    }

    /** {@code DELETE /v1/devices/{device}}: durable once this returns. */
    void removeDevice(Identity device) throws Exception {
        kafka.removeDevice(device).get(10, TimeUnit.SECONDS);
    }

    void every(Duration period, Runnable task) {
        timers.scheduleAtFixedRate(task, period.toMillis(), period.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * Pre-shutdown ({@code quarkus.shutdown.delay-enabled}): from now on not ready and upgrades get 503; every socket
     * is closed with 1001 at {@code drain-rate} while the WebSocket server still runs — by {@link ShutdownEvent} it
     * has already closed them without a code clients can act on. Returns once all are closed (at most
     * {@code drain-timeout}): Quarkus stops only then.
     */
    void preShutdown(@Observes ShutdownDelayInitiatedEvent event) {
        draining = true;
        Drain.Result r = drain.run(() -> sockets.findByEndpointId(InboxSocket.class.getName()),
                DeliveryService::closeDraining, DeliveryService::closeDraining);
        LOG.infof("Drained /v1/inbox in %s: %d sockets closed at up to %d/s, %d at once at the drain timeout",
                r.took(), r.closed(), config.drainRate(), r.forced());
        // the sockets' @OnClose (registry, metrics, the disconnect record) must run before the container stops
        Drain.awaitClosed(() -> registry.all().isEmpty());
    }

    static void closeDraining(WebSocketConnection connection) {
        connection.close(new CloseReason(CloseCode.GOING_AWAY.code(), Drain.REASON)).subscribe().with(ok -> { }, failed -> { });
    }

    void shutdown(@Observes ShutdownEvent event) {
        closeAll();
        timers.shutdownNow();
        kafka.close();
    }

    private void closeAll() {
        for (DeviceStream s : registry.all()) {
            s.close(CloseCode.GOING_AWAY, "server shutting down");
            registry.remove(s, () -> kafka.disconnect(s));
        }
    }

    private static Long optionalLong(Map<String, String> query, String name) {
        String raw = query.get(name);
        if (raw == null || raw.isEmpty()) {
            return null;
        }
        try {
            long v = Long.parseLong(raw);
            if (v >= 0) {
                return v;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(name + " must be an integer >= 0");
    }
}
