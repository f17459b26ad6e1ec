package dev.pigeonhole.load.client;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;

/**
 * The fields of a server frame the load clients need, read with Jackson's streaming parser (no tree): {@code type},
 * {@code id}, {@code seq}, {@code to}, {@code from}, {@code own}, {@code epoch}, {@code code}, {@code retryable},
 * {@code retryAfterMs}, {@code count}, and {@code body.t} (the load generator's intended send time). Unknown fields
 * and frames are skipped, as protocol.md asks.
 */
public final class Frame {
    private static final JsonFactory JSON = new JsonFactory();

    public String type;
    public String id;
    public String from;
    public long seq = -1;
    public long to = -1;
    public String toRecipient;
    public boolean own;
    public long epoch;
    public String code;
    public boolean retryable;
    public long retryAfterMs = -1;
    public long count = -1;
    /** {@code body.t}: the intended send time (this JVM's nanoTime), or -1. */
    public long t = -1;

    public static Frame parse(String text) {
        Frame f = new Frame();
        try (JsonParser p = JSON.createParser(text)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                f.type = "unparseable";
                return f;
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken v = p.nextToken();
                switch (field) {
                    case "type" -> f.type = p.getText();
                    case "id" -> f.id = p.getText();
                    case "from" -> f.from = p.getText();
                    case "seq" -> f.seq = p.getLongValue();
                    case "to" -> {
                        if (v == JsonToken.VALUE_NUMBER_INT) {
                            f.to = p.getLongValue();
                        } else {
                            f.toRecipient = p.getText();
                        }
                    }
                    case "own" -> f.own = v == JsonToken.VALUE_TRUE;
                    case "epoch" -> f.epoch = p.getLongValue();
                    case "code" -> f.code = p.getText();
                    case "retryable" -> f.retryable = v == JsonToken.VALUE_TRUE;
                    case "retryAfterMs" -> f.retryAfterMs = p.getLongValue();
                    case "count" -> f.count = p.getLongValue();
                    case "body" -> f.t = bodyTime(p, v);
                    default -> p.skipChildren();
                }
            }
        } catch (IOException | RuntimeException e) {
            f.type = "unparseable";
        }
        return f;
    }

    /** An inbox entry: shares the seq numbering, is acked. */
    public boolean isEntry() {
        return "message".equals(type) || "receipt".equals(type) || "undelivered".equals(type);
    }

    private static long bodyTime(JsonParser p, JsonToken v) throws IOException {
        long t = -1;
        if (v != JsonToken.START_OBJECT) {
            p.skipChildren();
            return t;
        }
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            JsonToken value = p.nextToken();
            if ("t".equals(field) && value == JsonToken.VALUE_NUMBER_INT) {
                t = p.getLongValue();
            } else {
                p.skipChildren();
            }
        }
        return t;
    }
}
