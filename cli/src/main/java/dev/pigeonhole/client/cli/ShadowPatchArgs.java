package dev.pigeonhole.client.cli;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pigeonhole.protocol.Json;
import java.util.List;

/**
 * {@code key=value} arguments as a shadow patch: a value is JSON when it parses as JSON ({@code 21},
 * {@code true}, {@code null}, {@code "21"}, {@code [1,2]}, {@code {"a":1}}), else a string; a dotted key makes nested
 * objects ({@code mode.fan=auto} is {@code {"mode":{"fan":"auto"}}}); {@code key=null} deletes the field.
 */
final class ShadowPatchArgs {
    private static final ObjectReader STRICT = Json.MAPPER.reader().with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private ShadowPatchArgs() {}

    /** @throws IllegalArgumentException naming the bad argument */
    static ObjectNode parse(List<String> assignments) {
        ObjectNode patch = Json.MAPPER.createObjectNode();
        for (String a : assignments) {
            int eq = a.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("'" + a + "' is not key=value");
            }
            String key = a.substring(0, eq);
            String[] path = key.split("\\.", -1);
            ObjectNode target = patch;
            for (int i = 0; i < path.length; i++) {
                if (path[i].isEmpty()) {
                    throw new IllegalArgumentException("'" + key + "': empty name between dots");
                }
                JsonNode existing = target.get(path[i]);
                if (i == path.length - 1) {
                    if (existing != null) {
                        throw new IllegalArgumentException("'" + key + "' is given twice");
                    }
                    target.set(path[i], value(a.substring(eq + 1)));
                } else if (existing == null) {
                    target = target.putObject(path[i]);
                } else if (existing.isObject()) {
                    target = (ObjectNode) existing;
                } else {
                    throw new IllegalArgumentException("'" + key + "': '" + String.join(".", List.of(path).subList(0, i + 1))
                            + "' is set to a value and used as an object");
                }
            }
        }
        return patch;
    }

    /** JSON if the text is one JSON value, else the text as a string. */
    static JsonNode value(String text) {
        try {
            JsonNode node = STRICT.readTree(text);
            if (node != null && !node.isMissingNode()) {
                return node;
            }
        } catch (Exception notJson) {
            // a plain string
        }
        return Json.MAPPER.getNodeFactory().textNode(text);
    }
}
