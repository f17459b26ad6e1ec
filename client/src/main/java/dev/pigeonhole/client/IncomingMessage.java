package dev.pigeonhole.client;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pigeonhole.protocol.Json;

/**
 * A message of the user's inbox.
 *
 * @param seq    position in the inbox (1, 2, 3, … without gaps)
 * @param body   the message body as JSON text, as the sender sent it
 * @param own    true for a copy of something this user sent (possibly from this very device: compare
 *               {@code fromDevice})
 * @param sentAt epoch milliseconds when the server accepted it
 * @param attachments the blobs it carries (download with {@link PigeonholeClient#download}); empty for none
 */
public record IncomingMessage(long seq, String id, String from, String fromDevice, String to, String body,
                              long sentAt, boolean own, java.util.List<Attachment> attachments) {

    public IncomingMessage {
        attachments = attachments == null ? java.util.List.of() : java.util.List.copyOf(attachments);
    }

    /** A message without attachments. */
    public IncomingMessage(long seq, String id, String from, String fromDevice, String to, String body, long sentAt,
                           boolean own) {
        this(seq, id, from, fromDevice, to, body, sentAt, own, java.util.List.of());
    }

    /** The body's {@code text} field (what {@link PigeonholeClient#sendText} sends), or null if it has none. */
    public String text() {
        return textOf(body);
    }

    static String textOf(String json) {
        JsonNode text = Json.read(json, JsonNode.class).get("text");
        return text != null && text.isTextual() ? text.textValue() : null;
    }
}
