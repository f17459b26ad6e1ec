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

    /**
     * The send with this id was not stored. Retry later only if {@code retryable}; {@code retryAfterMs} (rate
     * limits only, else absent) says how long to wait.
     */
    @JsonPropertyOrder({"type", "id", "code", "message", "retryable", "retryAfterMs"})
    record Rejected(String id, ErrorCode code, String message, boolean retryable, Long retryAfterMs) implements ServerFrame {
        public Rejected(String id, ErrorCode code, String message) {
            this(id, code, message, code.retryable(), null);
        }

        public static Rejected rateLimited(String id, long retryAfterMs) {
            return new Rejected(id, ErrorCode.RATE_LIMITED, "too many sends; retry in " + retryAfterMs + " ms", true,
                    retryAfterMs);
        }

        @Override
        public String type() {
            return "rejected";
        }
    }

    /**
     * A frame that could not be tied to a message id was refused; the connection stays open. {@code retryAfterMs}
     * only for {@code rate_limited}.
     */
    @JsonPropertyOrder({"type", "code", "message", "retryAfterMs"})
    record Error(ErrorCode code, String message, Long retryAfterMs) implements ServerFrame {
        public Error(ErrorCode code, String message) {
            this(code, message, null);
        }

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
