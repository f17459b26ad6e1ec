package dev.pigeonhole.protocol.topics;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pigeonhole.protocol.Json;
import dev.pigeonhole.protocol.ServerFrame;
import java.util.List;

/**
 * One entry of a user's inbox, numbered by a gapless per-user {@code seq} starting at 1 (S3).
 *
 * <p>Most entries are messages. The router also writes notices into a sender's inbox, with {@code from} the user
 * they concern and the details in {@code body}: {@link Kind#RECEIPT} (a {@link Receipt}) and {@link Kind#UNDELIVERED}
 * (an {@link Undelivered}).
 */
public record InboxEntry(long seq, String id, String from, String fromDevice, String to, JsonNode body, long sentAt,
                         boolean own, Kind kind) {

    public enum Kind { MESSAGE, RECEIPT, UNDELIVERED }

    /** Body of a receipt notice: which of the sender's messages reached (or were read by) user {@code from}. */
    public record Receipt(ServerFrame.Receipt.Status status, List<ServerFrame.Receipt.Item> messages) {}

    /** Body of an undelivered notice: the sender's messages that will never reach the recipient, and why. */
    public record Undelivered(String reason, List<ServerFrame.Undelivered.Item> messages) {}

    public static InboxEntry of(long seq, SendEnvelope send, boolean own) {
        return new InboxEntry(seq, send.id(), send.from(), send.fromDevice(), send.to(), send.body(), send.sentAt(),
                own, Kind.MESSAGE);
    }

    public InboxEntry withSeq(long seq) {
        return new InboxEntry(seq, id, from, fromDevice, to, body, sentAt, own, kind);
    }

    public Kind kind() {
        return kind == null ? Kind.MESSAGE : kind;
    }

    public boolean isMessage() {
        return kind() == Kind.MESSAGE;
    }

    public ServerFrame toFrame() {
        return switch (kind()) {
            case MESSAGE -> new ServerFrame.Message(seq, id, from, fromDevice, to, body, sentAt, own);
            case RECEIPT -> {
                Receipt r = Json.MAPPER.convertValue(body, Receipt.class);
                yield new ServerFrame.Receipt(seq, from, r.status(), r.messages(), sentAt);
            }
            case UNDELIVERED -> {
                Undelivered e = Json.MAPPER.convertValue(body, Undelivered.class);
                yield new ServerFrame.Undelivered(seq, from, e.reason(), e.messages(), sentAt);
            }
        };
    }
}
