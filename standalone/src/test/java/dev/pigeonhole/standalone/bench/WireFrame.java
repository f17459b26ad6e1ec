package dev.pigeonhole.standalone.bench;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;

/**
 * The few fields of a server frame the benchmarks need, read with Jackson's streaming parser (no tree, no binding):
 * {@code type}, {@code id}, {@code seq}, {@code own}, {@code body.t}, the number of {@code messages} items (receipts),
 * {@code head} and {@code code}.
 */
final class WireFrame {
    private static final JsonFactory JSON = new JsonFactory();

    String type;
    String id;
    long seq = -1;
    boolean own;
    /** {@code body.t}: the intended send time (load generator nanoTime), or -1. */
    long t = -1;
    /** Items of a {@code messages} array (receipt, undelivered), or 0. */
    int items;
    long head = -1;
    String code;

    static WireFrame parse(String text) {
        WireFrame f = new WireFrame();
        try (JsonParser p = JSON.createParser(text)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return f;
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken v = p.nextToken();
                switch (field) {
                    case "type" -> f.type = p.getText();
                    case "id" -> f.id = p.getText();
                    case "seq" -> f.seq = p.getLongValue();
                    case "own" -> f.own = v == JsonToken.VALUE_TRUE;
                    case "head" -> f.head = p.getLongValue();
                    case "code" -> f.code = p.getText();
                    case "body" -> f.t = bodyTime(p, v);
                    case "messages" -> f.items = count(p, v);
                    default -> p.skipChildren();
                }
            }
        } catch (IOException e) {
            f.type = "unparseable";
        }
        return f;
    }

    boolean isEntry() {
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

    private static int count(JsonParser p, JsonToken v) throws IOException {
        if (v != JsonToken.START_ARRAY) {
            p.skipChildren();
            return 0;
        }
        int n = 0;
        while (p.nextToken() != JsonToken.END_ARRAY) {
            p.skipChildren();
            n++;
        }
        return n;
    }
}
