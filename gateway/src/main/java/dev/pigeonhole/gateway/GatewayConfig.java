package dev.pigeonhole.gateway;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Map;

/** Operational settings of the gateway ({@code pigeonhole.gateway.*}). */
@ConfigMapping(prefix = "pigeonhole.gateway")
public interface GatewayConfig {

    /** Largest accepted body, in bytes of its JSON serialization. Larger sends get {@code too_large}. */
    @WithDefault("65536")
    int maxBodyBytes();

    /** How long a send may wait for Kafka's acknowledgement before it is rejected as {@code unavailable}. */
    @WithDefault("PT30S")
    Duration sendTimeout();

    /**
     * Most members and invitees a group may have: a group send writes one copy per joined member, fanned out by the
     * gateway when it accepts the send.
     */
    @WithDefault("1000")
    int groupMaxMembers();

    /**
     * {@code invite}: users added to a group by someone else are invited and receive nothing until they accept.
     * {@code open}: they are members at once (membership managed by a trusted backend).
     */
    @WithDefault("invite")
    GroupConsent groupConsent();

    enum GroupConsent { INVITE, OPEN }

    /** Extra Kafka producer properties (e.g. {@code compression.type}); the safety settings cannot be overridden. */
    Map<String, String> producer();

    /**
     * On shutdown, sockets are closed (1001, {@code draining; reconnect with backoff}) at most this many per second,
     * each once its sends in flight are answered, so their clients do not all reconnect to the other instances in
     * the same instant; 0: all at once. Meanwhile the instance is not ready and answers upgrades with 503 +
     * {@code Retry-After}.
     */
    @WithDefault("500")
    int drainRate();

    /**
     * The most a drain takes: what is still open then is closed at once (a send still waiting for Kafka is then
     * unanswered; the client sends it again). The pod's {@code terminationGracePeriodSeconds} must exceed it plus the
     * Kafka clients' close (docs/operations.md).
     */
    @WithDefault("PT15S")
    Duration drainTimeout();
}
