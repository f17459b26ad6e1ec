package dev.pigeonhole.client;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pigeonhole.client.internal.ShadowPatch;
import dev.pigeonhole.client.internal.ShadowRequests;
import dev.pigeonhole.client.spi.ShadowOutbox;
import dev.pigeonhole.protocol.Json;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * One device shadow of this client's user (docs/shadow.md): the state an app wants a thing to be in
 * ({@code desired}) and the state the thing last reported ({@code reported}). Get one with
 * {@link PigeonholeClient#shadow(String)} or {@link PigeonholeClient#shadow(String, String)}; changes arrive at the
 * {@link Listener} ({@link Listener#onShadowDelta}, {@link Listener#onShadowDocuments}).
 *
 * <p><b>Updates work offline.</b> {@code updateDesired}/{@code updateReported} store the patch in the client's
 * outbox (the SQLite database of the data directory, like messages) before they return, and the client sends it
 * whenever the inbox connection is up — after reconnects and restarts, until the server answers. While an update
 * waits, a newer patch of the same section of the same shadow is merged into it as the server would merge them
 * (objects deeply, arrays and scalars replace, a {@code null} stays {@code null} so the server deletes the field):
 * the last write wins and one update goes out; every future of the merged calls completes with its answer. A pair
 * that has no single equivalent patch (e.g. an object written where the previous patch deleted the field) and
 * updates with an expected version are never merged: they are sent one after the other. Updates of one section are
 * sent in order, one at a time. An update is removed from the outbox when accepted or refused for good; on
 * {@code unavailable} it is sent again later with the same {@code clientToken}, which the server deduplicates.
 * The futures live in this process only: an update left in the outbox by an earlier run is still sent, but nobody
 * hears its answer except through the inbox ({@code shadow_documents}).
 *
 * <p><b>{@code get} and {@code delete} wait for the connection</b> (in memory: they are not kept across restarts)
 * and are sent once the inbox connection is up; bound the wait with {@link CompletableFuture#orTimeout}. A
 * {@code get} whose connection drops before the answer is asked again on the next one; a {@code delete} fails with
 * code {@code unavailable} instead, as its outcome is unknown.
 *
 * <p><b>Outcomes.</b> A refusal completes the future exceptionally with a {@link ShadowException} carrying the wire
 * code ({@code version_conflict} with the current version, {@code not_found}, {@code forbidden}, {@code too_large},
 * {@code invalid_field}, {@code unavailable} for a get or delete). After {@link PigeonholeClient#close()} waiting
 * futures fail with {@link ClientClosedException}, and when the server refuses the connection for good with an
 * {@link IllegalStateException} (updates stay in the outbox). Futures are completed on a pool thread, never the client's own threads, so joining them in a
 * listener method is safe.
 *
 * <p>Thread-safe.
 */
public final class Shadow {
    private final ShadowRequests requests;
    private final String device;
    private final String thing;
    private final String name;

    Shadow(ShadowRequests requests, String device, String thing, String name) {
        this.requests = requests;
        this.device = device;
        this.thing = thing;
        this.name = name;
    }

    /** The thing: a device id of this client's user. */
    public String thing() {
        return thing;
    }

    /** The shadow's name; "" for the classic shadow. */
    public String name() {
        return name;
    }

    /** Reads the document; fails with {@code not_found} if the shadow does not exist. Waits for the connection. */
    public CompletableFuture<ShadowDocument> get() {
        return document(requests.get(thing, name));
    }

    /**
     * Merges {@code patch} into {@code desired}. Stored in the outbox before this returns; see the class comment.
     *
     * @param patch a JSON object (fields set to {@code null} are deleted) or {@code "null"} to clear {@code desired}
     * @return completes with the document after the update
     * @throws IllegalArgumentException if the patch is not a JSON object or null, or is larger than a request may be
     * @throws ClientClosedException    if the client is closed
     */
    public CompletableFuture<ShadowDocument> updateDesired(String patch) {
        return update("desired", patch(patch), null);
    }

    /** As {@link #updateDesired(String)}, applied only if the shadow's version is {@code expectedVersion} (0: it does not exist yet); else {@code version_conflict}. */
    public CompletableFuture<ShadowDocument> updateDesired(String patch, long expectedVersion) {
        return update("desired", patch(patch), version(expectedVersion));
    }

    /**
     * As {@link #updateDesired(String)} with the patch as a map: values are maps, lists, strings, numbers, booleans
     * or {@code null} (deletes the field).
     */
    public CompletableFuture<ShadowDocument> updateDesired(Map<String, ?> patch) {
        return update("desired", patch(patch), null);
    }

    public CompletableFuture<ShadowDocument> updateDesired(Map<String, ?> patch, long expectedVersion) {
        return update("desired", patch(patch), version(expectedVersion));
    }

    /**
     * Merges {@code patch} into {@code reported}: what the thing says it is. Only the thing itself may: a client
     * whose device is not {@link #thing()} gets a future failed with {@code forbidden} at once (nothing is queued).
     * Otherwise as {@link #updateDesired(String)}.
     */
    public CompletableFuture<ShadowDocument> updateReported(String patch) {
        return reported(patch(patch), null);
    }

    public CompletableFuture<ShadowDocument> updateReported(String patch, long expectedVersion) {
        return reported(patch(patch), version(expectedVersion));
    }

    public CompletableFuture<ShadowDocument> updateReported(Map<String, ?> patch) {
        return reported(patch(patch), null);
    }

    public CompletableFuture<ShadowDocument> updateReported(Map<String, ?> patch, long expectedVersion) {
        return reported(patch(patch), version(expectedVersion));
    }

    /** Deletes the shadow ({@code not_found} if it does not exist); its version keeps counting. Waits for the connection. */
    public CompletableFuture<Void> delete() {
        return requests.delete(thing, name, null).thenApply(d -> null);
    }

    /** As {@link #delete()}, only if the shadow's version is {@code expectedVersion}; else {@code version_conflict}. */
    public CompletableFuture<Void> delete(long expectedVersion) {
        return requests.delete(thing, name, version(expectedVersion)).thenApply(d -> null);
    }

    private CompletableFuture<ShadowDocument> reported(String patch, Long version) {
        if (!thing.equals(device)) {
            return CompletableFuture.failedFuture(new ShadowException("forbidden", "only the thing itself reports its"
                    + " state: this client is device '" + device + "', not '" + thing + "'", "update", thing, name, null));
        }
        return update("reported", patch, version);
    }

    private CompletableFuture<ShadowDocument> update(String section, String patch, Long version) {
        return document(requests.update(thing, name, section, patch, version));
    }

    private static CompletableFuture<ShadowDocument> document(CompletableFuture<JsonNode> answer) {
        return answer.thenApply(d -> ShadowDocument.parse(Json.write(d)));
    }

    private static Long version(long expected) {
        if (expected < 0) {
            throw new IllegalArgumentException("an expected version is >= 0");
        }
        return expected;
    }

    private static String patch(String json) {
        if (json == null) {
            throw new IllegalArgumentException("patch is null: pass the JSON text \"null\" to clear the section");
        }
        return checked(ShadowPatch.parse(json));
    }

    private static String patch(Map<String, ?> map) {
        if (map == null) {
            throw new IllegalArgumentException("patch is null: pass the JSON text \"null\" to clear the section");
        }
        return checked(tree(map));
    }

    /** A map or list as JSON, keeping {@code null} values (they delete fields; the protocol mapper would drop them). */
    private static JsonNode tree(Object value) {
        if (value == null) {
            return Json.MAPPER.nullNode();
        }
        if (value instanceof Map<?, ?> map) {
            com.fasterxml.jackson.databind.node.ObjectNode o = Json.MAPPER.createObjectNode();
            for (Map.Entry<?, ?> e : map.entrySet()) {
                if (!(e.getKey() instanceof String key)) {
                    throw new IllegalArgumentException("patch keys must be strings, not " + e.getKey());
                }
                o.set(key, tree(e.getValue()));
            }
            return o;
        }
        if (value instanceof Iterable<?> list) {
            com.fasterxml.jackson.databind.node.ArrayNode a = Json.MAPPER.createArrayNode();
            list.forEach(v -> a.add(tree(v)));
            return a;
        }
        try {
            return Json.MAPPER.valueToTree(value);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("the patch cannot be written as JSON: " + e.getMessage(), e);
        }
    }

    private static String checked(JsonNode node) {
        String json = Json.write(node);
        if (json.length() > ShadowOutbox.MAX_PATCH_CHARS) {
            throw new IllegalArgumentException("the patch is " + json.length() + " characters; at most "
                    + ShadowOutbox.MAX_PATCH_CHARS + " fit in a request");
        }
        return json;
    }

    @Override
    public String toString() {
        return "Shadow[" + thing + (name.isEmpty() ? "" : "/" + name) + "]";
    }
}
