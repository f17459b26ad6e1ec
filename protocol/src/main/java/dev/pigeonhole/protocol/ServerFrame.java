package dev.pigeonhole.protocol;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/** Frames a server sends. Each serializes with {@code type} as its first field. */
public sealed interface ServerFrame {

    /** Frames that are inbox entries: they carry a {@code seq} and are acknowledged like messages. */
    sealed interface Entry extends ServerFrame {
        long seq();
    }

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

    /** The answer to a client {@code ping} frame, on the endpoint it came on. No fields. */
    record Pong() implements ServerFrame {
        public static final Pong INSTANCE = new Pong();
        /** Its encoding, written once. */
        public static final String TEXT = "{\"type\":\"pong\"}";

        @Override
        public String type() {
            return "pong";
        }
    }

    /** One inbox entry. {@code own} marks a copy of the user's own send (self-sync, S9). */
    @JsonPropertyOrder({"type", "seq", "id", "from", "fromDevice", "to", "body", "attachments", "sentAt", "own"})
    record Message(long seq, String id, String from, String fromDevice, String to, JsonNode body,
                   @JsonInclude(JsonInclude.Include.NON_NULL) java.util.List<ClientFrame.Attachment> attachments,
                   long sentAt, boolean own) implements Entry {
        public Message(long seq, String id, String from, String fromDevice, String to, JsonNode body, long sentAt,
                       boolean own) {
            this(seq, id, from, fromDevice, to, body, null, sentAt, own);
        }
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

    /**
     * First frame of a stream, once the server knows where the device stands: {@code count} entries wait after
     * the device's position, the first of them is {@code oldest} (sent at {@code oldestSentAt}); null when none
     * waits. With {@code newest=N} and more than N waiting, {@code skipped} is the older range the stream leaves
     * out (fetch it with {@code fetch} frames); the stream starts after {@code skipped.to}.
     */
    @JsonPropertyOrder({"type", "count", "oldest", "oldestSentAt", "head", "epoch", "skipped"})
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Backlog(long count, Long oldest, Long oldestSentAt, long head, long epoch, Range skipped)
            implements ServerFrame {
        @Override
        public String type() {
            return "backlog";
        }
    }

    /** An inclusive range of seqs. */
    record Range(long from, long to) {}

    /**
     * Entries {@code from..to} (inclusive) are gone and will not be sent: {@code reason} is {@code expired} (older
     * than the inbox's max age), {@code trimmed} (over its max size) or {@code acked} (every device had acked them
     * and the acked-entry retention passed). The stream continues after {@code to}; {@code to} may be acked.
     */
    @JsonPropertyOrder({"type", "from", "to", "reason"})
    record Gap(long from, long to, String reason) implements ServerFrame {
        @Override
        public String type() {
            return "gap";
        }
    }

    /**
     * A receipt for messages this user sent to {@code by}: {@code delivered} (a device of {@code by} acked them;
     * each item says on how many of its registered devices) or {@code read} (a device sent a read marker).
     */
    @JsonPropertyOrder({"type", "seq", "by", "status", "messages", "at"})
    record Receipt(long seq, String by, Status status, List<Item> messages, long at) implements Entry {
        public enum Status {
            @com.fasterxml.jackson.annotation.JsonProperty("delivered") DELIVERED,
            @com.fasterxml.jackson.annotation.JsonProperty("read") READ
        }

        /** {@code devices} of {@code of} registered devices have it (for {@code read}: both 0). */
        @JsonPropertyOrder({"id", "to", "devices", "of"})
        public record Item(String id, String to, int devices, int of) {}

        @Override
        public String type() {
            return "receipt";
        }
    }

    /**
     * Messages this user sent that will never be received by {@code recipient}: its inbox dropped them before any
     * of its devices acked them ({@code reason} {@code expired} or {@code trimmed}, as in {@code gap}).
     */
    @JsonPropertyOrder({"type", "seq", "recipient", "reason", "messages", "at"})
    record Undelivered(long seq, String recipient, String reason, List<Item> messages, long at) implements Entry {
        @JsonPropertyOrder({"id", "to", "sentAt"})
        public record Item(String id, String to, long sentAt) {}

        @Override
        public String type() {
            return "undelivered";
        }
    }

    /**
     * The answer to a {@code fetch}: the stored entries of {@code from..to} (entries below {@code oldest} are
     * gone). Not part of the live sequence: these entries are not acknowledged.
     */
    @JsonPropertyOrder({"type", "from", "to", "oldest", "entries"})
    record History(long from, long to, long oldest, List<Entry> entries) implements ServerFrame {
        @Override
        public String type() {
            return "history";
        }
    }

    /** A shadow request was applied ({@code update}, {@code delete}) or answered ({@code get}); docs/shadow.md. */
    @JsonPropertyOrder({"type", "op", "thing", "name", "clientToken", "document"})
    record ShadowAccepted(String op, String thing, String name, String clientToken, JsonNode document)
            implements ServerFrame {
        @Override
        public String type() {
            return "shadow_accepted";
        }
    }

    /**
     * A shadow request was refused; {@code version} is the shadow's current version when it exists,
     * {@code retryAfterMs} only for {@code rate_limited}.
     */
    @JsonPropertyOrder({"type", "op", "thing", "name", "clientToken", "code", "message", "version", "retryAfterMs"})
    record ShadowRejected(String op, String thing, String name, String clientToken, ErrorCode code, String message,
                          Long version, Long retryAfterMs) implements ServerFrame {
        public ShadowRejected(String op, String thing, String name, String clientToken, ErrorCode code, String message,
                              Long version) {
            this(op, thing, name, clientToken, code, message, version, null);
        }

        @Override
        public String type() {
            return "shadow_rejected";
        }
    }

    /** The thing's work order: the shadow's whole delta after a change of {@code desired} (docs/shadow.md). */
    @JsonPropertyOrder({"type", "seq", "thing", "name", "version", "state", "metadata", "clientToken", "at"})
    record ShadowDelta(long seq, String thing, String name, long version, JsonNode state, JsonNode metadata,
                       String clientToken, long at) implements Entry {
        @Override
        public String type() {
            return "shadow_delta";
        }
    }

    /** A shadow changed: the document before and after ({@code null} for none), and the device that changed it. */
    @JsonPropertyOrder({"type", "seq", "thing", "name", "by", "previous", "current", "at"})
    record ShadowDocuments(long seq, String thing, String name, String by,
                           @JsonInclude(JsonInclude.Include.ALWAYS) JsonNode previous,
                           @JsonInclude(JsonInclude.Include.ALWAYS) JsonNode current, long at) implements Entry {
        @Override
        public String type() {
            return "shadow_documents";
        }
    }
}
