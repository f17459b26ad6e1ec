package dev.pigeonhole.router;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pigeonhole.protocol.Json;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The JSON rules of a shadow document (docs/shadow.md), as pure functions: deep merge with {@code null} deleting,
 * per-field metadata timestamps, the delta, and the limits.
 */
final class ShadowDocs {
    private ShadowDocs() {}

    static ObjectNode object() {
        return Json.MAPPER.createObjectNode();
    }

    /**
     * Merges {@code patch} into {@code target}: objects merge deeply, arrays and scalars replace, {@code null}
     * deletes the field (and an object emptied by deletes goes with it). {@code metadata} mirrors {@code target} with
     * {@code {"timestamp": at}} at every leaf written.
     */
    static void merge(ObjectNode target, ObjectNode metadata, JsonNode patch, long at) {
        for (Iterator<Map.Entry<String, JsonNode>> it = patch.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            String key = f.getKey();
            JsonNode value = f.getValue();
            if (value.isNull()) {
                target.remove(key);
                metadata.remove(key);
            } else if (value.isObject() && !value.isEmpty()) {
                JsonNode existing = target.get(key);
                ObjectNode child;
                ObjectNode childMeta;
                if (existing instanceof ObjectNode o && !o.isEmpty() && metadata.get(key) instanceof ObjectNode m) {
                    child = o;
                    childMeta = m;
                } else {
                    child = target.putObject(key);
                    childMeta = metadata.putObject(key);
                }
                merge(child, childMeta, value, at);
                if (child.isEmpty()) {
                    target.remove(key);
                    metadata.remove(key);
                }
            } else {
                target.set(key, value.deepCopy());
                metadata.putObject(key).put("timestamp", at);
            }
        }
    }

    /**
     * Every field of {@code desired} whose value differs from {@code reported} (or that {@code reported} lacks),
     * recursively for objects on both sides; empty when they agree.
     */
    static ObjectNode delta(JsonNode desired, JsonNode reported) {
        ObjectNode out = object();
        if (desired == null) {
            return out;
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = desired.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            JsonNode r = reported == null ? null : reported.get(f.getKey());
            JsonNode d = f.getValue();
            if (d.isObject() && r != null && r.isObject() && !d.isEmpty()) {
                ObjectNode sub = delta(d, r);
                if (!sub.isEmpty()) {
                    out.set(f.getKey(), sub);
                }
            } else if (!d.equals(r)) {
                out.set(f.getKey(), d);
            }
        }
        return out;
    }

    /** The part of {@code metadata} that has the shape of {@code delta}. */
    static ObjectNode select(JsonNode metadata, JsonNode delta) {
        ObjectNode out = object();
        for (Iterator<Map.Entry<String, JsonNode>> it = delta.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            JsonNode m = metadata == null ? null : metadata.get(f.getKey());
            if (m == null) {
                continue;
            }
            if (f.getValue().isObject() && !f.getValue().isEmpty() && !m.has("timestamp")) {
                out.set(f.getKey(), select(m, f.getValue()));
            } else {
                out.set(f.getKey(), m);
            }
        }
        return out;
    }

    /** Object nesting of {@code node}: 1 for an object of scalars. Arrays count as one level. */
    static int depth(JsonNode node) {
        int max = 0;
        List<JsonNode> children = new ArrayList<>();
        node.elements().forEachRemaining(children::add);
        for (JsonNode c : children) {
            if (c.isContainerNode()) {
                max = Math.max(max, depth(c));
            }
        }
        return node.isContainerNode() ? max + 1 : 0;
    }
}
