package dev.pigeonhole.gateway;

import dev.pigeonhole.access.ConnectionLimiter;
import dev.pigeonhole.access.Drain;
import dev.pigeonhole.access.PendingWrites;
import dev.pigeonhole.access.SendLimiter;
import dev.pigeonhole.access.SendBudget;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownDelayInitiatedEvent;
import io.quarkus.runtime.Startup;
import io.quarkus.websockets.next.OpenConnections;
import io.quarkus.websockets.next.WebSocketConnection;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.concurrent.atomic.AtomicInteger;
import org.jboss.logging.Logger;

/**
 * The {@code /v1/send} connections of this instance: their count, limits and per-connection budgets, and their drain
 * on shutdown.
 */
@Startup // its meters exist from the start, so dashboards show 0 rather than no data
@ApplicationScoped
public class GatewayConnections {
    private static final Logger LOG = Logger.getLogger(GatewayConnections.class);

    private final AtomicInteger open = new AtomicInteger();
    private final SendLimiter limits;
    private final ConnectionLimiter limiter;
    private final OpenConnections sockets;
    private final GatewayConfig config;
    private final Drain<WebSocketConnection> drain;
    private volatile boolean draining;

    GatewayConnections(MeterRegistry registry, SendLimiter limits, OpenConnections sockets, GatewayConfig config) {
        this.limits = limits;
        this.limiter = limits.newConnectionLimiter();
        this.sockets = sockets;
        this.config = config;
        this.drain = new Drain<>(config.drainRate(), config.drainTimeout());
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

    boolean draining() {
        return draining;
    }

    /**
     * Pre-shutdown ({@code quarkus.shutdown.delay-enabled}): from now on not ready and upgrades get 503; each socket
     * is closed with 1001 at {@code drain-rate}, once its sends in flight are answered, while the WebSocket server
     * still runs. Returns once all are closed (at most {@code drain-timeout}): Quarkus stops only then.
     */
    void preShutdown(@Observes ShutdownDelayInitiatedEvent event) {
        draining = true;
        Drain.Result r = drain.run(() -> sockets.findByEndpointId(SendSocket.class.getName()), SendSocket::drain,
                SendSocket::closeDraining);
        LOG.infof("Drained /v1/send in %s: %d sockets closed at up to %d/s, %d at once at the drain timeout",
                r.took(), r.closed(), config.drainRate(), r.forced());
        // the sockets' @OnClose must run before the container stops
        Drain.awaitClosed(() -> open.get() == 0);
    }
}
