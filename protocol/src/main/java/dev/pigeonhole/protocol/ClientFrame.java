package dev.pigeonhole.protocol;

import com.fasterxml.jackson.databind.JsonNode;

/** Frames a client sends. {@code send} goes to the gateway ({@code /v1/send}); {@code ack} to delivery ({@code /v1/inbox}). */
public sealed interface ClientFrame {

    /** Send {@code body} to a user or group; {@code id} is the client message id, unique per sending device. */
    record Send(String id, String to, JsonNode body) implements ClientFrame {}

    /** Cumulative acknowledgement: the device has processed every entry up to and including {@code seq}. */
    record Ack(long seq) implements ClientFrame {}
}
