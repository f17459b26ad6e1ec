package dev.pigeonhole.records;

/** A record this build cannot read: corrupt, truncated, or of a format or type written by a newer build. */
public final class RecordFormatException extends RuntimeException {
    public RecordFormatException(String message) {
        super(message, null, false, false);
    }
}
