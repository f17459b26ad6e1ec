package dev.pigeonhole.client.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pigeonhole.client.ShadowException;
import dev.pigeonhole.protocol.ErrorCode;
import dev.pigeonhole.protocol.Frames;
import dev.pigeonhole.protocol.Json;
import dev.pigeonhole.protocol.ServerFrame;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

/** Shadow requests against a scripted socket: the loop and the completions run inline, time is manual. */
class ShadowRequestsTest {
    private final ManualTimers timers = new ManualTimers();
    private final MemoryStore store = new MemoryStore();
    private final ShadowRequests shadows = new ShadowRequests(store, timers, Runnable::run, Runnable::run);
    private final List<JsonNode> wire = new ArrayList<>();

    private void up() {
        shadows.up(text -> wire.add(Json.read(text, JsonNode.class)));
    }

    private static JsonNode doc(long version, String desired) {
        return Json.read("{\"thing\":\"thermostat\",\"name\":\"\",\"state\":{\"desired\":" + desired + "},\"version\":"
                + version + "}", JsonNode.class);
    }

    private void accept(JsonNode request, JsonNode document) {
        shadows.answer(ShadowRequests.Answer.of(new ServerFrame.ShadowAccepted(op(request), request.get("thing").asText(),
                request.get("name").asText(), request.get("clientToken").asText(), document)));
    }

    private void reject(JsonNode request, ErrorCode code, Long version) {
        shadows.answer(ShadowRequests.Answer.of(new ServerFrame.ShadowRejected(op(request), request.get("thing").asText(),
                request.get("name").asText(), request.get("clientToken").asText(), code, "refused: " + code.wire(), version)));
    }

    private static String op(JsonNode request) {
        return request.get("type").asText().substring("shadow_".length());
    }

    @Test
    void answersAreMatchedToRequestsByClientTokenInAnyOrder() {
        up();
        CompletableFuture<JsonNode> get = shadows.get("thermostat", "");
        CompletableFuture<JsonNode> update = shadows.update("thermostat", "", "desired", "{\"temperature\":21}", 3L);
        CompletableFuture<JsonNode> named = shadows.get("thermostat", "config");
        assertThat(wire).hasSize(3);
        JsonNode g = wire.stream().filter(f -> f.get("type").asText().equals("shadow_get") && f.get("name").asText().isEmpty()).findFirst().orElseThrow();
        JsonNode u = wire.stream().filter(f -> f.get("type").asText().equals("shadow_update")).findFirst().orElseThrow();
        JsonNode n = wire.stream().filter(f -> f.get("name").asText().equals("config")).findFirst().orElseThrow();
        assertThat(u.get("state")).isEqualTo(Json.read("{\"desired\":{\"temperature\":21}}", JsonNode.class));
        assertThat(u.get("version").asLong()).isEqualTo(3);
        assertThat(List.of(g, u, n)).extracting(f -> f.get("clientToken").asText())
                .doesNotHaveDuplicates().allSatisfy(t -> assertThat(t).matches("[\\x21-\\x7E]{1,64}"));
        // every frame is one the server's parser accepts
        for (JsonNode f : wire) {
            assertThat(parses(Json.write(f))).as(f.toString()).isTrue();
        }

        accept(u, doc(4, "{\"temperature\":21}"));
        reject(n, ErrorCode.NOT_FOUND, null);
        accept(g, doc(3, "{\"temperature\":19}"));

        assertThat(update.join().get("version").asLong()).isEqualTo(4);
        assertThat(get.join().get("version").asLong()).isEqualTo(3);
        assertThatThrownBy(named::join).cause().isInstanceOfSatisfying(ShadowException.class, e -> {
            assertThat(e.code()).isEqualTo("not_found");
            assertThat(e.op()).isEqualTo("get");
            assertThat(e.name()).isEqualTo("config");
        });
        assertThat(store.pendingShadowUpdates()).isEmpty();
    }

    private static boolean parses(String text) {
        try {
            return new Frames(Frames.DEFAULT_MAX_BODY_BYTES).parseInbox(text) instanceof dev.pigeonhole.protocol.ClientFrame.Shadow;
        } catch (Exception e) {
            return false;
        }
    }

    @Test
    void updatesMadeOfflineAreCoalescedAndSentOnceConnected() {
        CompletableFuture<JsonNode> f19 = shadows.update("thermostat", "", "desired", "{\"temperature\":19,\"schedule\":[1]}", null);
        CompletableFuture<JsonNode> f20 = shadows.update("thermostat", "", "desired", "{\"temperature\":20}", null);
        CompletableFuture<JsonNode> f21 = shadows.update("thermostat", "", "desired", "{\"temperature\":21,\"schedule\":null}", null);
        CompletableFuture<JsonNode> get = shadows.get("thermostat", "");
        assertThat(wire).isEmpty();
        assertThat(shadows.pendingUpdates()).isEqualTo(1);

        up();
        assertThat(wire).hasSize(2);
        JsonNode u = wire.get(0);
        assertThat(u.get("type").asText()).isEqualTo("shadow_update");
        assertThat(Json.write(u.get("state"))).isEqualTo("{\"desired\":{\"temperature\":21,\"schedule\":null}}");
        assertThat(u.has("version")).isFalse();
        assertThat(wire.get(1).get("type").asText()).isEqualTo("shadow_get");

        accept(u, doc(5, "{\"temperature\":21}"));
        for (CompletableFuture<JsonNode> f : List.of(f19, f20, f21)) {
            assertThat(f.join().get("version").asLong()).isEqualTo(5);
        }
        assertThat(get).isNotDone();
        assertThat(shadows.pendingUpdates()).isZero();
    }

    @Test
    void oneUpdatePerSectionIsInFlightAndANewerPatchWaitsForItsAnswer() {
        up();
        CompletableFuture<JsonNode> first = shadows.update("thermostat", "", "desired", "{\"t\":19}", null);
        CompletableFuture<JsonNode> second = shadows.update("thermostat", "", "desired", "{\"t\":20}", null);
        CompletableFuture<JsonNode> third = shadows.update("thermostat", "", "desired", "{\"mode\":\"eco\"}", null);
        CompletableFuture<JsonNode> reported = shadows.update("thermostat", "", "reported", "{\"t\":18}", null);
        assertThat(wire).extracting(f -> Json.write(f.get("state")))
                .containsExactly("{\"desired\":{\"t\":19}}", "{\"reported\":{\"t\":18}}");
        accept(wire.get(0), doc(2, "{\"t\":19}"));
        assertThat(first.join().get("version").asLong()).isEqualTo(2);
        assertThat(second).isNotDone();
        assertThat(wire).hasSize(3);
        assertThat(Json.write(wire.get(2).get("state"))).isEqualTo("{\"desired\":{\"t\":20,\"mode\":\"eco\"}}");
        assertThat(wire.get(2).get("clientToken").asText()).isNotEqualTo(wire.get(0).get("clientToken").asText());
        accept(wire.get(2), doc(4, "{\"t\":20,\"mode\":\"eco\"}"));
        assertThat(second.join()).isEqualTo(third.join());
        assertThat(reported).isNotDone();
        accept(wire.get(1), doc(5, "{}"));
        assertThat(reported).isCompleted();
        assertThat(wire).hasSize(3);
        assertThat(store.pendingShadowUpdates()).isEmpty();
    }

    @Test
    void unavailableIsSentAgainLaterWithTheSameToken() {
        up();
        CompletableFuture<JsonNode> f = shadows.update("thermostat", "", "desired", "{\"t\":21}", null);
        JsonNode sent = wire.get(0);
        reject(sent, ErrorCode.UNAVAILABLE, null);
        assertThat(f).isNotDone();
        assertThat(wire).hasSize(1);
        // a newer patch meanwhile gets a row of its own: the first one may have been applied
        shadows.update("thermostat", "", "desired", "{\"t\":22}", null);
        assertThat(wire).hasSize(1);
        timers.advance(Duration.ofMillis(999));
        assertThat(wire).hasSize(1);
        timers.advance(Duration.ofMillis(1));
        assertThat(wire).hasSize(2);
        assertThat(wire.get(1)).isEqualTo(sent);
        reject(wire.get(1), ErrorCode.UNAVAILABLE, null);
        timers.advance(Duration.ofMillis(1999));
        assertThat(wire).hasSize(2);
        timers.advance(Duration.ofMillis(1));
        assertThat(wire.get(2)).isEqualTo(sent);
        accept(wire.get(2), doc(6, "{\"t\":21}"));
        assertThat(f.join().get("version").asLong()).isEqualTo(6);
        assertThat(wire).hasSize(4);
        assertThat(Json.write(wire.get(3).get("state"))).isEqualTo("{\"desired\":{\"t\":22}}");
    }

    @Test
    void aDroppedConnectionResendsUpdatesAndGetsButFailsASentDelete() {
        up();
        CompletableFuture<JsonNode> update = shadows.update("thermostat", "", "desired", "{\"t\":21}", null);
        CompletableFuture<JsonNode> get = shadows.get("thermostat", "");
        CompletableFuture<JsonNode> delete = shadows.delete("lamp", "", 7L);
        assertThat(wire).hasSize(3);
        assertThat(wire.get(2).get("version").asLong()).isEqualTo(7);
        List<JsonNode> first = List.copyOf(wire);
        shadows.down();
        assertThatThrownBy(delete::join).cause().isInstanceOfSatisfying(ShadowException.class,
                e -> assertThat(e.code()).isEqualTo("unavailable"));
        shadows.update("thermostat", "", "desired", "{\"t\":22}", null); // the first may have been applied: not merged
        wire.clear();
        up();
        assertThat(wire).containsExactly(first.get(0), first.get(1));
        accept(wire.get(0), doc(3, "{\"t\":21}"));
        assertThat(update).isCompleted();
        assertThat(Json.write(wire.get(2).get("state"))).isEqualTo("{\"desired\":{\"t\":22}}");
        accept(wire.get(1), doc(3, "{\"t\":21}"));
        assertThat(get).isCompleted();
    }

    @Test
    void aRefusalRemovesTheUpdateAndCarriesTheCodeAndCurrentVersion() {
        up();
        CompletableFuture<JsonNode> f = shadows.update("thermostat", "", "desired", "{\"t\":21}", 3L);
        reject(wire.get(0), ErrorCode.VERSION_CONFLICT, 7L);
        assertThatThrownBy(f::join).isInstanceOf(CompletionException.class).cause()
                .isInstanceOfSatisfying(ShadowException.class, e -> {
                    assertThat(e.code()).isEqualTo("version_conflict");
                    assertThat(e.currentVersion()).isEqualTo(7L);
                    assertThat(e.thing()).isEqualTo("thermostat");
                    assertThat(e.getMessage()).contains("version_conflict");
                });
        assertThat(store.pendingShadowUpdates()).isEmpty();
    }

    @Test
    void aRejectionWithACodeThisClientDoesNotKnowIsFinal() {
        up();
        CompletableFuture<JsonNode> f = shadows.update("thermostat", "", "desired", "{\"t\":21}", null);
        String token = wire.get(0).get("clientToken").asText();
        String text = "{\"type\":\"shadow_rejected\",\"op\":\"update\",\"thing\":\"thermostat\",\"name\":\"\",\"clientToken\":\""
                + token + "\",\"code\":\"brand_new_code\",\"message\":\"no\"}";
        assertThat(decodes(text)).as("the protocol library cannot decode it").isFalse();
        shadows.answer(ShadowRequests.Answer.ofUnknown(text));
        assertThatThrownBy(f::join).cause().isInstanceOfSatisfying(ShadowException.class,
                e -> assertThat(e.code()).isEqualTo("brand_new_code"));
        assertThat(store.pendingShadowUpdates()).isEmpty();
    }

    private static boolean decodes(String text) {
        try {
            return Frames.decodeServer(text) != null;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    @Test
    void answersForUnknownTokensAreIgnored() {
        up();
        CompletableFuture<JsonNode> f = shadows.update("thermostat", "", "desired", "{\"t\":21}", null);
        shadows.answer(ShadowRequests.Answer.of(new ServerFrame.ShadowAccepted("update", "thermostat", "", "someone-else", doc(1, "{}"))));
        shadows.answer(ShadowRequests.Answer.of(new ServerFrame.ShadowAccepted("update", "thermostat", "", null, doc(1, "{}"))));
        assertThat(f).isNotDone();
        assertThat(store.pendingShadowUpdates()).hasSize(1);
    }

    @Test
    void closingFailsWaitingFuturesAndKeepsUpdatesInTheOutbox() {
        CompletableFuture<JsonNode> update = shadows.update("thermostat", "", "desired", "{\"t\":21}", null);
        CompletableFuture<JsonNode> get = shadows.get("thermostat", "");
        shadows.fail(new IllegalStateException("client closed"));
        assertThatThrownBy(update::join).cause().isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(get::join).cause().isInstanceOf(IllegalStateException.class);
        assertThat(store.pendingShadowUpdates()).hasSize(1);
        assertThatThrownBy(() -> shadows.get("thermostat", "").join()).cause().isInstanceOf(IllegalStateException.class);
    }

    @Test
    void updatesQueuedByAnEarlierRunAreSentWithTheirStoredToken() {
        store.queueShadowUpdate("thermostat", "", "reported", "{\"t\":18}", null, 1, "u-from-before");
        up();
        assertThat(wire).hasSize(1);
        assertThat(wire.get(0).get("clientToken").asText()).isEqualTo("u-from-before");
        accept(wire.get(0), doc(2, "{}"));
        assertThat(store.pendingShadowUpdates()).isEmpty();
    }
}
