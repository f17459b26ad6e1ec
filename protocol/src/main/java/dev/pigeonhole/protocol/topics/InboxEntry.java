package dev.pigeonhole.protocol.topics;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pigeonhole.protocol.ServerFrame;

/** One entry of a user's inbox, numbered by a gapless per-user {@code seq} starting at 1 (S3). */
public record InboxEntry(long seq, String id, String from, String fromDevice, String to, JsonNode body, long sentAt,
                         boolean own) {

    public static InboxEntry of(long seq, SendEnvelope send, boolean own) {
        return new InboxEntry(seq, send.id(), send.from(), send.fromDevice(), send.to(), send.body(), send.sentAt(), own);
    }

    public ServerFrame.Message toFrame() {
        return new ServerFrame.Message(seq, id, from, fromDevice, to, body, sentAt, own);
    }
}
