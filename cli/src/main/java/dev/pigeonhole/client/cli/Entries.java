package dev.pigeonhole.client.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pigeonhole.client.InboxEntry;
import dev.pigeonhole.protocol.Frames;
import dev.pigeonhole.protocol.Json;
import dev.pigeonhole.protocol.ServerFrame;
import java.util.ArrayList;
import java.util.List;

/** How the CLI prints entries of the local message store. */
final class Entries {
    private Entries() {}

    /** The lines {@code chat} and {@code history} print for an entry (none for what they leave out). */
    static List<String> lines(InboxEntry e, String myDevice, boolean ownFromThisDevice) {
        List<String> out = new ArrayList<>();
        ServerFrame frame = Frames.decodeServer(e.json());
        if (frame instanceof ServerFrame.Message m) {
            String text = text(m.body()) + attachments(m.attachments());
            if (!m.own()) {
                out.add("[" + m.seq() + "] " + m.from() + ": " + text);
            } else if (!m.fromDevice().equals(myDevice)) {
                out.add("[" + m.seq() + "] you (" + m.fromDevice() + ") -> " + m.to() + ": " + text);
            } else if (ownFromThisDevice) {
                out.add("[" + m.seq() + "] you -> " + m.to() + ": " + text);
            }
        } else if (frame instanceof ServerFrame.Receipt r) {
            for (ServerFrame.Receipt.Item i : r.messages()) {
                out.add("  (" + shortId(i.id()) + (r.status() == ServerFrame.Receipt.Status.READ ? " read by " + r.by()
                        : " delivered to " + r.by() + ": " + i.devices() + " of " + i.of() + " devices") + ")");
            }
        } else if (frame instanceof ServerFrame.Undelivered u) {
            for (ServerFrame.Undelivered.Item i : u.messages()) {
                out.add("  (" + shortId(i.id()) + " NOT delivered to " + u.recipient() + ": " + u.reason() + ")");
            }
        } else if (frame instanceof ServerFrame.Gap g && !"superseded".equals(g.reason())) {
            out.add("* messages " + g.from() + ".." + g.to() + " are gone from the server (" + g.reason() + ")");
        }
        return out;
    }

    /** A message entry as {@code tail} prints it (the fields of the SDK's {@code IncomingMessage}, the body as JSON), or null for others. */
    static String tailJson(InboxEntry e) {
        if (!"message".equals(e.kind())) {
            return null;
        }
        ServerFrame.Message m = (ServerFrame.Message) Frames.decodeServer(e.json());
        com.fasterxml.jackson.databind.node.ObjectNode line = Json.MAPPER.createObjectNode();
        line.put("seq", m.seq()).put("id", m.id()).put("from", m.from()).put("fromDevice", m.fromDevice()).put("to", m.to());
        line.set("body", m.body());
        line.put("sentAt", m.sentAt()).put("own", m.own());
        if (m.attachments() != null && !m.attachments().isEmpty()) {
            line.set("attachments", Json.MAPPER.valueToTree(m.attachments()));
        }
        return Json.write(line);
    }

    /** {@code " [photo.jpg 2.1 MB] [sha256:… 3 B]"}, or "" for none. */
    static String attachments(List<dev.pigeonhole.protocol.ClientFrame.Attachment> attachments) {
        StringBuilder out = new StringBuilder();
        if (attachments != null) {
            for (var a : attachments) {
                out.append(" [").append(a.name() != null ? a.name() : a.ref()).append(' ').append(size(a.size())).append(']');
            }
        }
        return out.toString();
    }

    /** {@code photo.jpg  [#####.....] 48% 9.6/20.0 MB} */
    static String bar(String file, long sent, long total) {
        int percent = total == 0 ? 100 : (int) (sent * 100 / total);
        return file + "  [" + "#".repeat(percent / 10) + ".".repeat(10 - percent / 10) + "] " + percent + "% "
                + String.format(java.util.Locale.ROOT, "%.1f/%.1f MB", sent / 1e6, total / 1e6);
    }

    /** Bytes for people: {@code 812 B}, {@code 4.2 kB}, {@code 2.1 MB}. */
    static String size(long bytes) {
        return bytes < 1000 ? bytes + " B" : bytes < 1_000_000 ? String.format(java.util.Locale.ROOT, "%.1f kB", bytes / 1e3)
                : String.format(java.util.Locale.ROOT, "%.1f MB", bytes / 1e6);
    }

    /** Messages from other users among the entries. */
    static long fromOthers(List<InboxEntry> entries) {
        return entries.stream().filter(e -> "message".equals(e.kind()) && !e.own()).count();
    }

    /** The body's text, or the body itself when it has none. */
    static String text(String json) {
        return text(Json.read(json, JsonNode.class));
    }

    static String text(JsonNode body) {
        return body.has("text") ? body.get("text").asText() : body.toString();
    }

    static String shortId(String id) {
        return id.length() <= 8 ? id : id.substring(0, 8);
    }
}
