package dev.pigeonhole.protocol.topics;

/** A device's cumulative ack, written by delivery to {@link Topics#ACKS} keyed by user. */
public record AckRecord(String device, long seq) {}
