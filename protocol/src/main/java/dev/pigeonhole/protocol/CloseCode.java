package dev.pigeonhole.protocol;

/**
 * WebSocket close codes used by Pigeonhole servers. The range tells the client what to do:
 * 1000–1013 and 4000–4099 mean "reconnect with backoff"; 4100–4199 mean "do not reconnect until
 * something changes" (credentials, parameters or local state). docs/protocol.md lists the same catalog.
 */
public enum CloseCode {
    /** The server closes on purpose with nothing wrong (e.g. the client asked). */
    NORMAL(1000, true),
    /** The server is shutting down or being redeployed. */
    GOING_AWAY(1001, true),
    /**
     * The client broke RFC 6455 (e.g. a reserved bit set though no extension was negotiated, an unmasked frame, a
     * fragmented control frame); the reason names the rule.
     */
    PROTOCOL_ERROR(1002, true),
    /** A text frame was not valid UTF-8. */
    INVALID_PAYLOAD(1007, true),
    /**
     * A WebSocket frame or message exceeded the transport limit ({@code max-frame-size}, {@code max-message-size});
     * do not send it again.
     */
    MESSAGE_TOO_BIG(1009, true),
    /** Unexpected server failure. */
    INTERNAL_ERROR(1011, true),
    /** The instance is not ready to serve this endpoint yet (e.g. still joining Kafka). */
    TRY_AGAIN_LATER(1013, true),
    /** No pong (or any frame) from the client for two ping intervals: the connection is presumed half-open. */
    HEARTBEAT_TIMEOUT(4000, true),
    /** The inbox store could not be read for too long (e.g. the router is rebalancing). */
    STORE_UNAVAILABLE(4001, true),
    /** The user or device already has the maximum number of connections open on this endpoint. */
    TOO_MANY_CONNECTIONS(4002, true),
    /** The client did not read what the server wrote: too many frames were waiting for it. */
    SLOW_CONSUMER(4003, true),
    /** No identity, or an identity this server does not accept. */
    UNAUTHORIZED(4100, false),
    /** A query parameter is missing or invalid; the close reason names it. */
    BAD_REQUEST(4101, false),
    /**
     * The client's position belongs to another history of the inbox: its {@code epoch} differs, or its
     * {@code after} is beyond the head without naming the current epoch. The client must drop its cursor and
     * reconnect with {@code after=0}.
     */
    RESYNC(4102, false),
    /**
     * A newer inbox connection of the same device opened (on this or another instance): one live connection per
     * device (S7). The client must not reconnect on its own, or two copies of one device would displace each
     * other forever.
     */
    DISPLACED(4103, false),
    /** The user removed this device ({@code DELETE /v1/devices/{device}}); its cursor is gone. */
    DEVICE_REMOVED(4104, false),
    /**
     * This device is not registered and the user already has the maximum number of registered devices
     * ({@code pigeonhole.router.max-devices-per-user}). Reconnecting fails the same way until the user removes a
     * device ({@code DELETE /v1/devices/{device}} from a registered one).
     */
    TOO_MANY_DEVICES(4105, false);

    private final int code;
    private final boolean reconnect;

    CloseCode(int code, boolean reconnect) {
        this.code = code;
        this.reconnect = reconnect;
    }

    public int code() {
        return code;
    }

    /** Whether a client should reconnect (with backoff) without changing anything. */
    public boolean reconnect() {
        return reconnect;
    }

    /**
     * The code for a failure the WebSocket layer reported: a message over the transport limit (the HTTP layer
     * says "max message size") is {@link #MESSAGE_TOO_BIG}, anything else {@link #INTERNAL_ERROR}.
     */
    public static CloseCode forTransportError(Throwable error) {
        return error instanceof IllegalStateException && String.valueOf(error.getMessage()).contains("max message size")
                ? MESSAGE_TOO_BIG : INTERNAL_ERROR;
    }

    public static boolean reconnectAllowed(int code) {
        return !(code >= 4100 && code <= 4199);
    }
}
