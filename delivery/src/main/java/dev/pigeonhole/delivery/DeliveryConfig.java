package dev.pigeonhole.delivery;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Optional;

/** Operational settings of delivery ({@code pigeonhole.delivery.*}). */
@ConfigMapping(prefix = "pigeonhole.delivery")
public interface DeliveryConfig {

    /**
     * This instance's id; it picks the push partition the instance reads. Defaults to {@code HOSTNAME} (the pod
     * name on Kubernetes), else a random id.
     */
    Optional<String> instanceId();

    /** Base URL of the router's read API (a Service in front of all router instances). */
    @WithDefault("http://localhost:8080")
    String routerUrl();

    /** Unacked entries in flight per connection when the client does not ask ({@code window}). */
    @WithDefault("128")
    int defaultWindow();

    /** Largest window a client may ask for. Memory per connection is bounded by window x largest body. */
    @WithDefault("1024")
    int maxWindow();

    /** Entries per read from the store. */
    @WithDefault("256")
    int pageSize();

    /**
     * Entry bytes (bodies + 160 each) per read from the store, and the most a connection holds read but not yet
     * written to its socket (plus one entry). A socket whose outbound queue is full holds none.
     */
    @WithDefault("262144")
    long pageBytes();

    /**
     * The most entry bytes all connections of this instance hold read but not yet written: reads wait beyond it
     * (a reconnecting fleet is paged in, not loaded at once).
     */
    @WithDefault("67108864")
    long bufferedBytes();

    /**
     * At most this many sockets of the instance may be opening at once (announced, waiting for the router to take
     * them and for their first page); beyond it {@code /v1/inbox} answers the upgrade with 503 and
     * {@code Retry-After} (1–5 s, random), so a reconnect storm is let in as fast as it is served.
     */
    @WithDefault("1000")
    int maxOpening();

    /**
     * While sockets lately took longer than this to open (announced to first page, averaged over about the last 20),
     * at most 100 may be opening at once and further upgrades get the same 503 + {@code Retry-After}.
     */
    @WithDefault("PT5S")
    Duration maxOpeningWait();

    /** The server pings every interval; a connection silent for two intervals is closed (4000). */
    @WithDefault("PT15S")
    Duration pingInterval();

    /**
     * How often this instance renews all its sessions at once: one {@code Lease} record per inbox-ops partition (the
     * router ends the sessions of an instance silent for its {@code session-expiry}, 30 min by default).
     */
    @WithDefault("PT1M")
    Duration leaseInterval();

    /**
     * A connection's acks and read markers are written to Kafka at most this often (only the latest counts): it
     * bounds what acks, and the receipts they produce, cost whatever a client's ack rate (0: every ack at once).
     */
    @WithDefault("PT0.5S")
    Duration ackInterval();

    /** How long reads from the store may keep failing before the connection is closed (4001). */
    @WithDefault("PT30S")
    Duration storeTimeout();

    /**
     * On shutdown, sockets are closed (1001, {@code draining; reconnect with backoff}) at most this many per second,
     * so their clients do not all reconnect to the other instances in the same instant; 0: all at once. Meanwhile
     * the instance is not ready and answers upgrades with 503 + {@code Retry-After}.
     */
    @WithDefault("500")
    int drainRate();

    /**
     * The most a drain takes: what is still open then is closed at once. The pod's
     * {@code terminationGracePeriodSeconds} must exceed it plus the Kafka clients' close (docs/operations.md).
     */
    @WithDefault("PT15S")
    Duration drainTimeout();

    /**
     * How often the pod's {@code controller.kubernetes.io/pod-deletion-cost} is set to its open sockets, so a scale-in
     * removes the emptiest pods first (needs the pod's service account token and {@code patch} on its pod:
     * the chart's {@code delivery.podDeletionCost}); 0: never.
     */
    @WithDefault("PT0S")
    Duration podDeletionCostInterval();
}
