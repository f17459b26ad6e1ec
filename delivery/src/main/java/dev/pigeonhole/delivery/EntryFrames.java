package dev.pigeonhole.delivery;

import dev.pigeonhole.protocol.Frames;
import dev.pigeonhole.protocol.ServerFrame;
import dev.pigeonhole.records.Entry;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Writes inbox entries as their wire frames ({@code message}, {@code receipt}, {@code undelivered}; docs/protocol.md)
 * without parsing their bodies: a message body is the sender's JSON as the gateway validated it, a notice body is the
 * router's JSON object whose fields follow the frame's fixed ones. Other frames go through {@link Frames#encode}.
 */
final class EntryFrames {
    private EntryFrames() {}

    static String encode(Entry e) {
        StringBuilder b = new StringBuilder(160 + e.body().length);
        write(e, b);
        return b.toString();
    }

    /** A {@code history} frame: the answer to a {@code fetch}. */
    static String history(long from, long to, long oldest, List<Entry> entries) {
        StringBuilder b = new StringBuilder(64 + entries.size() * 256);
        b.append("{\"type\":\"history\",\"from\":").append(from).append(",\"to\":").append(to)
                .append(",\"oldest\":").append(oldest).append(",\"entries\":[");
        boolean first = true;
        for (Entry e : entries) {
            if (e.kind() == Entry.Kind.SUPERSEDED) {
                continue; // superseded shadow entries have no content (docs/shadow.md)
            }
            if (!first) {
                b.append(',');
            }
            first = false;
            write(e, b);
        }
        return b.append("]}").toString();
    }

    static String encode(ServerFrame frame) {
        return Frames.encode(frame);
    }

    private static void write(Entry e, StringBuilder b) {
        String body = new String(e.body(), StandardCharsets.UTF_8);
        switch (e.kind()) {
            case MESSAGE -> {
                b.append("{\"type\":\"message\",\"seq\":").append(e.seq()).append(",\"id\":");
                string(e.id(), b).append(",\"from\":");
                string(e.from(), b);
                if (e.fromDevice() != null) {
                    string(e.fromDevice(), b.append(",\"fromDevice\":"));
                }
                string(e.to(), b.append(",\"to\":")).append(",\"body\":").append(body);
                if (e.attachments() != null) { // validated JSON array, written by the gateway
                    b.append(",\"attachments\":").append(new String(e.attachments(), StandardCharsets.UTF_8));
                }
                b.append(",\"sentAt\":").append(e.sentAt()).append(",\"own\":").append(e.own()).append('}');
            }
            case RECEIPT -> notice("receipt", "by", e, body, b);
            case UNDELIVERED -> notice("undelivered", "recipient", e, body, b);
            case SHADOW_DELTA -> fields("shadow_delta", e, body, b);
            case SHADOW_DOCUMENTS -> fields("shadow_documents", e, body, b);
            case SUPERSEDED -> b.append("{\"type\":\"gap\",\"from\":").append(e.seq()).append(",\"to\":")
                    .append(e.seq()).append(",\"reason\":\"superseded\"}");
        }
    }

    /** {@code {"type":T,"seq":N, <the body object's fields>, "at":sentAt}}. */
    private static void fields(String type, Entry e, String body, StringBuilder b) {
        b.append("{\"type\":\"").append(type).append("\",\"seq\":").append(e.seq());
        String fields = body.trim();
        if (fields.length() > 2) {
            b.append(',').append(fields, 1, fields.length() - 1);
        }
        b.append(",\"at\":").append(e.sentAt()).append('}');
    }

    /** {@code {"type":T,"seq":N,"<who>":from, <the body object's fields>, "at":sentAt}}. */
    private static void notice(String type, String who, Entry e, String body, StringBuilder b) {
        b.append("{\"type\":\"").append(type).append("\",\"seq\":").append(e.seq()).append(",\"").append(who).append("\":");
        string(e.from(), b);
        String fields = body.trim();
        if (fields.length() > 2) { // the router writes a JSON object: splice its fields in
            b.append(',').append(fields, 1, fields.length() - 1);
        }
        b.append(",\"at\":").append(e.sentAt()).append('}');
    }

    private static StringBuilder string(String s, StringBuilder b) {
        b.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"');
    }
}
