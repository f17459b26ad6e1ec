package dev.pigeonhole.client.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pigeonhole.protocol.Json;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;

/**
 * Coalescing of shadow patches (docs/shadow.md, "Merge"): two updates of one section of one shadow, applied one
 * after the other by the server, replaced by one update with the same effect on <em>every</em> document.
 *
 * <p>A patch is the value of {@code state.desired} or {@code state.reported}: an object (merged into the section:
 * objects merge deeply, arrays and scalars replace, {@code null} deletes the field) or {@code null} (the section is
 * cleared). Coalescing keeps the newer value of every field the newer patch names, including {@code null} (so the
 * server still deletes it), and merges nested objects field by field.
 *
 * <p>Some pairs have no single equivalent patch, because a merge patch cannot say "replace this object": the newer
 * patch puts an object where the older one deleted the field, set it to a scalar or an array, or cleared the whole
 * section. Applied alone, the newer object would be merged into the field's value on the server (which may be an
 * object with other fields); applied after the older patch, it lands on nothing. Those pairs are not coalesced:
 * {@link #coalesce} answers empty and the two updates are sent one after the other.
 */
public final class ShadowPatch {
    private ShadowPatch() {}

    /** Parses a patch: a JSON object or {@code null}. */
    public static JsonNode parse(String json) {
        JsonNode node;
        try {
            node = Json.MAPPER.readTree(json);
        } catch (Exception e) {
            throw new IllegalArgumentException("a shadow patch must be a JSON object or null: " + e.getMessage(), e);
        }
        if (node == null || node.isMissingNode() || !(node.isObject() || node.isNull())) {
            throw new IllegalArgumentException("a shadow patch must be a JSON object or null");
        }
        return node;
    }

    /**
     * The one patch equivalent to {@code older} followed by {@code newer}, or empty when there is none (see the
     * class comment). Neither argument is modified.
     */
    public static Optional<JsonNode> coalesce(JsonNode older, JsonNode newer) {
        if (newer == null || newer.isNull()) {
            return Optional.of(newer == null ? Json.MAPPER.nullNode() : newer); // clearing wins over anything before
        }
        if (older == null || older.isNull()) {
            return Optional.empty(); // "clear, then merge this" is not one merge patch
        }
        ObjectNode merged = older.deepCopy();
        return mergeInto(merged, newer) ? Optional.of(merged) : Optional.empty();
    }

    /** Same as {@link #coalesce(JsonNode, JsonNode)} on JSON text; empty when there is no single equivalent patch. */
    public static Optional<String> coalesce(String older, String newer) {
        return coalesce(parse(older), parse(newer)).map(Json::write);
    }

    /** Merges {@code newer} into {@code target} in place; false if some field has no equivalent (see the class comment). */
    private static boolean mergeInto(ObjectNode target, JsonNode newer) {
        for (Iterator<Map.Entry<String, JsonNode>> it = newer.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            JsonNode value = field.getValue();
            JsonNode before = target.get(field.getKey());
            if (!value.isObject()) {
                target.set(field.getKey(), value.deepCopy()); // scalars, arrays and null replace (null: still deleted)
            } else if (before == null) {
                target.set(field.getKey(), value.deepCopy()); // the older patch did not touch this field
            } else if (before.isObject()) {
                if (!mergeInto((ObjectNode) before, value)) {
                    return false;
                }
            } else {
                return false; // an object over a deleted, scalar or array field: "replace with this object"
            }
        }
        return true;
    }
}
