package dev.pigeonhole.protocol;


/**
 * Frames a client sends. {@code send} goes to the gateway ({@code /v1/send}); {@code ack}, {@code read} and
 * {@code fetch} to delivery ({@code /v1/inbox}).
 */
public sealed interface ClientFrame {

    /**
     * Send {@code body} to a user or group; {@code id} is the client message id, unique per sending device.
     * {@code body} is the JSON text of the body exactly as the client wrote it (validated, carried opaque).
     */
    record Send(String id, String to, String body) implements ClientFrame {}

    /** Cumulative acknowledgement: the device has processed every entry up to and including {@code seq}. */
    record Ack(long seq) implements ClientFrame {}

    /** Read marker: the user has seen every entry up to {@code seq} (cumulative); sends read receipts. */
    record Read(long seq) implements ClientFrame {}

    /** Asks for the stored entries {@code from..to} (inclusive) outside the live sequence; answered by {@code history}. */
    record Fetch(long from, long to) implements ClientFrame {}
}
