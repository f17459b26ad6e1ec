package dev.pigeonhole.protocol.topics;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * An accepted send as written by the gateway to {@link Topics#INBOUND}, keyed by the sender user.
 * Its identity is ({@code fromDevice}, {@code id}) within {@code from} (S2).
 *
 * @param sentAt epoch milliseconds when the gateway accepted the frame (also the record timestamp)
 */
public record SendEnvelope(String from, String fromDevice, String id, String to, JsonNode body, long sentAt) {}
