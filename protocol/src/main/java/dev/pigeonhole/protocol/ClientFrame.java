package dev.pigeonhole.protocol;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Frames a client sends. {@code send} goes to the gateway ({@code /v1/send}); {@code ack}, {@code read} and
 * {@code fetch} and the shadow requests to delivery ({@code /v1/inbox}).
 */
public sealed interface ClientFrame {

    /**
     * Send {@code body} to a user or group; {@code id} is the client message id, unique per sending device.
     * {@code body} is the JSON text of the body exactly as the client wrote it (validated, carried opaque).
     */
    record Send(String id, String to, String body, java.util.List<Attachment> attachments) implements ClientFrame {
        public Send(String id, String to, String body) {
            this(id, to, body, java.util.List.of());
        }
    }

    /**
     * A blob a send references (docs/protocol.md, Attachments): validated by {@link Frames}, carried to the
     * recipients unchanged. {@code name} and {@code preview} (base64) are optional.
     */
    @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
    @com.fasterxml.jackson.annotation.JsonPropertyOrder({"ref", "size", "type", "name", "preview"})
    record Attachment(String ref, long size, String type, String name, String preview) {}

    /**
     * Application-level heartbeat, accepted on both endpoints and answered at once by {@link ServerFrame.Pong}: a
     * browser cannot send WebSocket pings nor see the server's (docs/protocol.md, Liveness). No fields.
     */
    record Ping() implements ClientFrame {
        public static final Ping INSTANCE = new Ping();
    }

    /** Cumulative acknowledgement: the device has processed every entry up to and including {@code seq}. */
    record Ack(long seq) implements ClientFrame {}

    /** Read marker: the user has seen every entry up to {@code seq} (cumulative); sends read receipts. */
    record Read(long seq) implements ClientFrame {}

    /** Asks for the stored entries {@code from..to} (inclusive) outside the live sequence; answered by {@code history}. */
    record Fetch(long from, long to) implements ClientFrame {}

    /**
     * A request on a device shadow (docs/shadow.md): {@code thing} and {@code name} ("" for the classic shadow) in the
     * caller's own user ({@code owner}, when given, must be the caller); {@code state}
     * ({@code {"desired":…,"reported":…}}) only for an update; {@code version} and {@code clientToken} optional.
     */
    record Shadow(ShadowOp op, String thing, String name, String owner, String clientToken, Long version, JsonNode state)
            implements ClientFrame {}

    /** The wire name is the lower-case name; records store the ordinal: append new operations, never reorder. */
    enum ShadowOp {
        GET, UPDATE, DELETE;

        public String wire() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }
}
