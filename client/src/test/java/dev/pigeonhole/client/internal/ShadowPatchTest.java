package dev.pigeonhole.client.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pigeonhole.protocol.Json;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ShadowPatchTest {

    private static Optional<String> coalesce(String older, String newer) {
        return ShadowPatch.coalesce(older, newer);
    }

    @Test
    void theNewerValueWinsAndUntouchedFieldsStay() {
        assertThat(coalesce("{\"temperature\":19,\"mode\":\"eco\"}", "{\"temperature\":21}"))
                .contains("{\"temperature\":21,\"mode\":\"eco\"}");
        assertThat(coalesce("{\"temperature\":19}", "{\"fan\":\"auto\"}"))
                .contains("{\"temperature\":19,\"fan\":\"auto\"}");
    }

    @Test
    void objectsMergeDeeply() {
        assertThat(coalesce("{\"mode\":{\"fan\":\"auto\",\"heat\":{\"level\":1,\"eco\":true}}}",
                "{\"mode\":{\"heat\":{\"level\":3}},\"light\":1}"))
                .contains("{\"mode\":{\"fan\":\"auto\",\"heat\":{\"level\":3,\"eco\":true}},\"light\":1}");
    }

    @Test
    void arraysAndScalarsReplaceWhatEverWasThere() {
        assertThat(coalesce("{\"schedule\":[1,2,3],\"mode\":{\"fan\":\"auto\"}}", "{\"schedule\":[4],\"mode\":\"off\"}"))
                .contains("{\"schedule\":[4],\"mode\":\"off\"}");
        assertThat(coalesce("{\"mode\":\"off\"}", "{\"mode\":[1]}")).contains("{\"mode\":[1]}");
    }

    @Test
    void aNullInTheNewerPatchStaysNullSoTheServerDeletesTheField() {
        assertThat(coalesce("{\"schedule\":[1,2],\"temperature\":19}", "{\"schedule\":null}"))
                .contains("{\"schedule\":null,\"temperature\":19}");
        assertThat(coalesce("{\"temperature\":19}", "{\"mode\":{\"fan\":null}}"))
                .contains("{\"temperature\":19,\"mode\":{\"fan\":null}}");
        assertThat(coalesce("{\"mode\":{\"fan\":\"auto\",\"heat\":1}}", "{\"mode\":{\"fan\":null}}"))
                .contains("{\"mode\":{\"fan\":null,\"heat\":1}}");
        assertThat(coalesce("{\"mode\":{\"fan\":\"auto\"}}", "{\"mode\":null}")).contains("{\"mode\":null}");
    }

    @Test
    void aNullInTheOlderPatchIsReplacedByANewerScalar() {
        assertThat(coalesce("{\"schedule\":null,\"t\":1}", "{\"schedule\":\"weekdays\"}"))
                .contains("{\"schedule\":\"weekdays\",\"t\":1}");
    }

    @Test
    void clearingTheSectionWinsOverAnythingBefore() {
        assertThat(coalesce("{\"temperature\":19}", "null")).contains("null");
        assertThat(coalesce("null", "null")).contains("null");
    }

    @Test
    void pairsWithoutOneEquivalentPatchAreNotCoalesced() {
        // "clear desired, then set t": one patch {"t":21} would keep the other fields
        assertThat(coalesce("null", "{\"t\":21}")).isEmpty();
        // "delete mode, then set mode.fan": one patch would merge into the old mode object
        assertThat(coalesce("{\"mode\":null}", "{\"mode\":{\"fan\":\"auto\"}}")).isEmpty();
        // "mode = off, then mode.fan = auto": same
        assertThat(coalesce("{\"mode\":\"off\"}", "{\"mode\":{\"fan\":\"auto\"}}")).isEmpty();
        assertThat(coalesce("{\"a\":{\"b\":[1]}}", "{\"a\":{\"b\":{\"c\":1}}}")).isEmpty();
    }

    @Test
    void theArgumentsAreNotModified() {
        JsonNode older = ShadowPatch.parse("{\"mode\":{\"fan\":\"auto\"}}");
        JsonNode newer = ShadowPatch.parse("{\"mode\":{\"heat\":1}}");
        JsonNode merged = ShadowPatch.coalesce(older, newer).orElseThrow();
        ((com.fasterxml.jackson.databind.node.ObjectNode) merged.get("mode")).put("x", 1);
        assertThat(Json.write(older)).isEqualTo("{\"mode\":{\"fan\":\"auto\"}}");
        assertThat(Json.write(newer)).isEqualTo("{\"mode\":{\"heat\":1}}");
    }

    @Test
    void onlyObjectsAndNullArePatches() {
        for (String bad : List.of("1", "\"x\"", "[1]", "", "{", "true")) {
            assertThatThrownBy(() -> ShadowPatch.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
        assertThat(ShadowPatch.parse("null").isNull()).isTrue();
    }

    /**
     * The defining property: for every document, applying the coalesced patch gives the same result as applying
     * the two patches one after the other, with the merge rules of docs/shadow.md (modelled here).
     */
    @Test
    void aCoalescedPatchHasTheEffectOfBothOnEveryDocument() {
        List<String> docs = List.of("{}", "{\"mode\":{\"fan\":\"low\",\"heat\":2},\"t\":18,\"s\":[1]}",
                "{\"mode\":\"off\",\"t\":{\"x\":1}}", "{\"mode\":{\"fan\":\"low\"}}");
        List<String> patches = List.of("null", "{}", "{\"t\":21}", "{\"t\":null}", "{\"mode\":{\"fan\":\"auto\"}}",
                "{\"mode\":{\"fan\":null}}", "{\"mode\":null}", "{\"mode\":\"eco\"}", "{\"s\":[2,3]}",
                "{\"mode\":{\"heat\":{\"level\":1}}}", "{\"t\":{\"y\":2},\"s\":null}");
        int coalesced = 0;
        for (String a : patches) {
            for (String b : patches) {
                Optional<String> merged = coalesce(a, b);
                if (merged.isEmpty()) {
                    continue;
                }
                coalesced++;
                for (String doc : docs) {
                    JsonNode twoSteps = apply(apply(ShadowPatch.parse(doc), ShadowPatch.parse(a)), ShadowPatch.parse(b));
                    JsonNode oneStep = apply(ShadowPatch.parse(doc), ShadowPatch.parse(merged.get()));
                    assertThat(oneStep).as(doc + " + " + a + " + " + b + " = " + merged.get()).isEqualTo(twoSteps);
                }
            }
        }
        assertThat(coalesced).as("most pairs coalesce").isGreaterThan(patches.size() * patches.size() * 2 / 3);
    }

    /** The server's merge (docs/shadow.md): objects deeply, arrays and scalars replace, null deletes, emptied objects go. */
    private static JsonNode apply(JsonNode section, JsonNode patch) {
        if (patch.isNull()) {
            return Json.MAPPER.createObjectNode();
        }
        com.fasterxml.jackson.databind.node.ObjectNode out = section.isObject()
                ? section.deepCopy() : Json.MAPPER.createObjectNode();
        for (Iterator<Map.Entry<String, JsonNode>> it = patch.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            JsonNode v = f.getValue();
            if (v.isNull()) {
                out.remove(f.getKey());
            } else if (v.isObject()) {
                JsonNode before = out.get(f.getKey());
                JsonNode merged = apply(before != null && before.isObject() ? before : Json.MAPPER.createObjectNode(), v);
                if (merged.isEmpty() && !v.isEmpty()) {
                    out.remove(f.getKey());
                } else {
                    out.set(f.getKey(), merged);
                }
            } else {
                out.set(f.getKey(), v);
            }
        }
        return out;
    }
}
