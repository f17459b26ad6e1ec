package dev.pigeonhole.client;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pigeonhole.protocol.Json;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A device shadow's document (docs/shadow.md) as the server sent it: {@code state.desired}, {@code state.reported},
 * the computed {@code state.delta}, {@code metadata}, {@code version}, {@code timestamp} and {@code clientToken}.
 * Immutable.
 *
 * <p>The sections are offered as JSON text ({@link #desired()}) or as a map ({@link #desiredMap()}: a new, mutable
 * copy on every call, with {@code Map}, {@code List}, {@code String}, {@code Boolean}, {@code null} and numbers as
 * {@code Integer}, {@code Long}, {@code BigInteger} or {@code BigDecimal}). A section the document does not have
 * (the server leaves empty ones out) is {@code "{}"} or an empty map.
 */
public final class ShadowDocument {
    private final JsonNode node;
    private final String json;

    private ShadowDocument(JsonNode node) {
        this.node = node;
        this.json = Json.write(node);
    }

    /**
     * Reads a document from its JSON text (as the server sends it, e.g. the body of
     * {@code GET /v1/things/{thing}/shadow}).
     *
     * @throws IllegalArgumentException if the text is not a JSON object
     */
    public static ShadowDocument parse(String json) {
        JsonNode node;
        try {
            node = Json.MAPPER.readTree(json);
        } catch (Exception e) {
            throw new IllegalArgumentException("not a shadow document: " + e.getMessage(), e);
        }
        if (node == null || !node.isObject()) {
            throw new IllegalArgumentException("not a shadow document: a JSON object is expected");
        }
        return new ShadowDocument(node);
    }

    public String thing() {
        return node.path("thing").asText(null);
    }

    /** "" for the classic (unnamed) shadow. */
    public String name() {
        return node.path("name").asText("");
    }

    /** Incremented by every accepted update and delete (0 if the document does not say). */
    public long version() {
        return node.path("version").asLong(0);
    }

    /** Epoch milliseconds of the last change (0 if the document does not say). */
    public long timestamp() {
        return node.path("timestamp").asLong(0);
    }

    /** The token of the request that made the last change, or null. */
    public String clientToken() {
        JsonNode t = node.get("clientToken");
        return t != null && t.isTextual() ? t.textValue() : null;
    }

    /** {@code state.desired} as JSON text ({@code "{}"} when empty). */
    public String desired() {
        return section("desired");
    }

    /** {@code state.reported} as JSON text ({@code "{}"} when empty). */
    public String reported() {
        return section("reported");
    }

    /** {@code state.delta} as JSON text: what {@code desired} asks that {@code reported} does not show ({@code "{}"} when none). */
    public String delta() {
        return section("delta");
    }

    public Map<String, Object> desiredMap() {
        return map(node.path("state").path("desired"));
    }

    public Map<String, Object> reportedMap() {
        return map(node.path("state").path("reported"));
    }

    public Map<String, Object> deltaMap() {
        return map(node.path("state").path("delta"));
    }

    /** {@code metadata} as JSON text: {@code {"desired":…,"reported":…}} with {@code {"timestamp":ms}} at every leaf ({@code "{}"} when none). */
    public String metadata() {
        JsonNode m = node.get("metadata");
        return m != null && m.isObject() ? Json.write(m) : "{}";
    }

    /** The whole document as JSON text. */
    public String json() {
        return json;
    }

    private String section(String name) {
        JsonNode s = node.path("state").get(name);
        return s != null && s.isObject() ? Json.write(s) : "{}";
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(JsonNode node) {
        if (node == null || !node.isObject()) {
            return new LinkedHashMap<>();
        }
        return Json.MAPPER.convertValue(node, LinkedHashMap.class);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ShadowDocument d && d.json.equals(json);
    }

    @Override
    public int hashCode() {
        return json.hashCode();
    }

    @Override
    public String toString() {
        return json;
    }
}
