package dev.pigeonhole.protocol.topics;

/**
 * A device's cumulative position, written by delivery to {@link Topics#ACKS} keyed by user: {@code ack} (it
 * processed every entry up to {@code seq}) or {@code read} (the user saw them). {@code skipFrom..skipTo} (0 when
 * none) is the range the connection skipped (newest-first catch-up): those entries were passed over, not
 * delivered, and get no receipt.
 */
public record AckRecord(String device, long seq, boolean read, long skipFrom, long skipTo) {

    public AckRecord(String device, long seq) {
        this(device, seq, false, 0, 0);
    }

    public boolean skipped(long s) {
        return s >= skipFrom && s <= skipTo && skipTo > 0;
    }
}
