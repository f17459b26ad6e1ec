package dev.pigeonhole.client;

import dev.pigeonhole.protocol.Json;
import java.util.Map;

/**
 * A {@code shadow_delta} entry of the inbox (docs/shadow.md): the thing's work order. {@code state} is the shadow's
 * whole delta after the change — every field of {@code desired} that {@code reported} does not show yet — not only
 * what that change touched. While a thing is away, newer deltas of the same shadow replace older ones, so it wakes
 * to the latest only.
 *
 * @param seq         the entry's inbox seq (in order with messages; acknowledged like them)
 * @param name        "" for the classic shadow
 * @param version     the shadow's version after the change
 * @param state       the delta as JSON text (an object)
 * @param metadata    when each delta field was last desired: the same shape with {@code {"timestamp":ms}} at the
 *                    leaves, as JSON text ({@code "{}"} when the entry has none)
 * @param clientToken the token of the request that made the change, or null
 * @param at          epoch milliseconds of the change
 */
public record ShadowDelta(long seq, String thing, String name, long version, String state, String metadata,
                          String clientToken, long at) {

    /** {@link #state()} as a map (a new, mutable copy; see {@link ShadowDocument} for the value types). */
    public Map<String, Object> stateMap() {
        try {
            return ShadowDocument.map(Json.MAPPER.readTree(state));
        } catch (Exception e) {
            throw new IllegalStateException("delta state is not JSON", e);
        }
    }
}
