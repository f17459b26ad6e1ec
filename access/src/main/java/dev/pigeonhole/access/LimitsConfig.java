package dev.pigeonhole.access;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/**
 * Per-instance limits ({@code pigeonhole.limits.*}). Each gateway or delivery pod enforces them on its own
 * connections: a user spread over N pods can reach N times a per-user limit.
 */
@ConfigMapping(prefix = "pigeonhole.limits")
public interface LimitsConfig {

    /** Sends (frames) per second one {@code /v1/send} connection may make, sustained. */
    @WithDefault("100")
    double sendsPerSecondPerConnection();

    /** Sends one connection may make at once before the rate applies. */
    @WithDefault("200")
    int sendBurstPerConnection();

    /** Sends per second per user on this gateway, over all their connections and HTTP. */
    @WithDefault("200")
    double sendsPerSecondPerUser();

    @WithDefault("400")
    int sendBurstPerUser();

    /** Open connections per user on this instance (per endpoint). */
    @WithDefault("20")
    int connectionsPerUser();

    /**
     * Open {@code /v1/send} connections per device on this instance. ({@code /v1/inbox} has one per device: a newer
     * one displaces the older.)
     */
    @WithDefault("2")
    int connectionsPerDevice();

    /**
     * Bytes written to one connection and not yet taken by the network. Delivery stops writing there until the
     * client catches up; the gateway closes a connection whose replies pile up past it (4003).
     */
    @WithDefault("1048576")
    long pendingBytes();

    /** A delivery connection that stays at {@code pending-bytes} this long does not read: closed with 4003. */
    @WithDefault("PT20S")
    java.time.Duration slowConsumerTimeout();

    /**
     * Open TCP connections per peer address on this instance's HTTP port; more are closed at once. 0: no cap. The
     * peer is whatever connects: behind a proxy or ingress every client shares its address, so raise or disable it
     * there and let the proxy limit per client.
     */
    @WithDefault("1000")
    int connectionsPerAddress();

    /**
     * A request head (request line and headers, or a WebSocket upgrade) must be complete within this time of the
     * connection opening, or of its first byte after the previous response; else the connection is closed. 0: none.
     */
    @WithDefault("PT10S")
    java.time.Duration requestHeadTimeout();
}
