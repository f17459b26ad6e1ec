package dev.pigeonhole.protocol;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.JsonNode;

/** Frames a server sends. Each serializes with {@code type} as its first field. */
public sealed interface ServerFrame {

    @JsonProperty("type")
    String type();

    /** The send with this id is durably stored (Kafka acknowledged it); the client may drop it from its outbox. */
    @JsonPropertyOrder({"type", "id"})
    record Accepted(String id) implements ServerFrame {
        @Override
        public String type() {
            return "accepted";
        }
    }

    /** The send with this id was not stored. Retry later only if {@code retryable}. */
    @JsonPropertyOrder({"type", "id", "code", "message", "retryable"})
    record Rejected(String id, ErrorCode code, String message, boolean retryable) implements ServerFrame {
        public Rejected(String id, ErrorCode code, String message) {
            this(id, code, message, code.retryable());
        }

        @Override
        public String type() {
            return "rejected";
        }
    }

    /** A frame that could not be tied to a message id was refused; the connection stays open. */
    @JsonPropertyOrder({"type", "code", "message"})
    record Error(ErrorCode code, String message) implements ServerFrame {
        @Override
        public String type() {
            return "error";
        }
    }

    /** One inbox entry. {@code own} marks a copy of the user's own send (self-sync, S9). */
    @JsonPropertyOrder({"type", "seq", "id", "from", "fromDevice", "to", "body", "sentAt", "own"})
    record Message(long seq, String id, String from, String fromDevice, String to, JsonNode body, long sentAt,
                   boolean own) implements ServerFrame {
        @Override
        public String type() {
            return "message";
        }
    }

    /** Everything up to {@code seq} has been sent; what follows is live. {@code epoch} identifies the inbox history. */
    @JsonPropertyOrder({"type", "seq", "epoch"})
    record CaughtUp(long seq, long epoch) implements ServerFrame {
        @Override
        public String type() {
            return "caught_up";
        }
    }
}
