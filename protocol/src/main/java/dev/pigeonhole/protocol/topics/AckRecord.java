package dev.pigeonhole.protocol.topics;

/**
 * A device's cumulative position, written by delivery to {@link Topics#ACKS} keyed by user: {@code ack} (it
 * processed every entry up to {@code seq}) or {@code read} (the user saw them). {@code deliveredFrom} is the first
 * seq this connection actually sent; entries below it were skipped (newest-first catch-up) and get no delivered
 * receipt.
 */
public record AckRecord(String device, long seq, boolean read, long deliveredFrom) {

    public AckRecord(String device, long seq) {
        this(device, seq, false, 0);
    }
}
