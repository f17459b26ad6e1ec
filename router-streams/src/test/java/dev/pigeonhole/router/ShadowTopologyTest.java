package dev.pigeonhole.router;

import dev.pigeonhole.protocol.ClientFrame;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pigeonhole.protocol.ErrorCode;
import dev.pigeonhole.protocol.Frames;
import dev.pigeonhole.protocol.Json;
import dev.pigeonhole.protocol.ServerFrame;
import dev.pigeonhole.records.Entry;
import dev.pigeonhole.records.InboxOp;
import dev.pigeonhole.records.InboxPage;
import dev.pigeonhole.records.Push;
import dev.pigeonhole.records.Topics;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Device shadows in the router (docs/shadow.md): merge, delete, versions, delta, collapse, authorization. */
class ShadowTopologyTest {
    static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    private TopologyTestDriver driver;
    private TestInputTopic<String, InboxOp> ops;
    private TestOutputTopic<String, Push> push;
    private final AtomicInteger requests = new AtomicInteger();
    private Instant now = T0;

    @BeforeEach
    void setUp() {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "router-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        RouterTopology.Settings settings = new RouterTopology.Settings(Duration.ofDays(7), Duration.ofMinutes(30),
                new Retention(Duration.ofDays(7), 100_000, Duration.ofDays(1), Duration.ofMinutes(1), 10_000, 2),
                Duration.ofSeconds(1), System::nanoTime, 16, new Shadows.Limits(256, 3));
        driver = new TopologyTestDriver(RouterTopology.build(settings, RouterMetrics.detached()), props, T0);
        ops = driver.createInputTopic(Topics.INBOX_OPS.name(), Topics.INBOX_OPS.keySerde().serializer(),
                Topics.INBOX_OPS.valueSerde().serializer());
        push = driver.createOutputTopic(Topics.PUSH.name(), Topics.PUSH.keySerde().deserializer(),
                Topics.PUSH.valueSerde().deserializer());
    }

    @AfterEach
    void tearDown() {
        driver.close();
    }

    @Test
    void updatesMergeDeeplyReplaceArraysAndDeleteWithNull() {
        JsonNode doc = accepted(update("phone", "thermostat", null, "t1",
                "{\"desired\":{\"temperature\":21,\"mode\":{\"fan\":\"auto\",\"heat\":true},\"days\":[1,2,3]}}"));
        long first = now.toEpochMilli();
        assertThat(doc.path("version").asLong()).isEqualTo(1);
        doc = accepted(update("phone", "thermostat", null, "t2",
                "{\"desired\":{\"mode\":{\"heat\":null,\"eco\":1},\"days\":[7],\"temperature\":null}}"));
        assertThat(doc.path("state").path("desired")).isEqualTo(json("{\"mode\":{\"fan\":\"auto\",\"eco\":1},\"days\":[7]}"));
        assertThat(doc.path("version").asLong()).isEqualTo(2);
        assertThat(doc.path("clientToken").asText()).isEqualTo("t2");
        assertThat(doc.path("metadata").path("desired").path("mode").path("fan").path("timestamp").asLong())
                .isEqualTo(first);
        assertThat(doc.path("timestamp").asLong()).isEqualTo(now.toEpochMilli());
        assertThat(doc.path("metadata").path("desired").path("days").path("timestamp").asLong())
                .isEqualTo(now.toEpochMilli());
        assertThat(doc.path("metadata").path("desired").has("temperature")).isFalse();
        // an object emptied by deletes goes; a section set to null is cleared
        doc = accepted(update("phone", "thermostat", null, "t3", "{\"desired\":{\"mode\":{\"fan\":null,\"eco\":null}}}"));
        assertThat(doc.path("state").path("desired")).isEqualTo(json("{\"days\":[7]}"));
        doc = accepted(update("phone", "thermostat", null, "t4", "{\"desired\":null}"));
        assertThat(doc.path("state").has("desired")).isFalse();
        assertThat(doc.path("version").asLong()).isEqualTo(4);
    }

    @Test
    void deltaIsWhatDesiredHasAndReportedDoesNot() {
        accepted(update("phone", "thermostat", null, null, "{\"desired\":{\"temperature\":21,\"mode\":{\"fan\":\"auto\",\"heat\":true}}}"));
        JsonNode doc = accepted(update("thermostat", "thermostat", null, null,
                "{\"reported\":{\"temperature\":18,\"mode\":{\"fan\":\"auto\",\"heat\":false},\"humidity\":40}}"));
        assertThat(doc.path("state").path("delta")).isEqualTo(json("{\"temperature\":21,\"mode\":{\"heat\":true}}"));
        doc = accepted(update("thermostat", "thermostat", null, null, "{\"reported\":{\"temperature\":21,\"mode\":{\"heat\":true}}}"));
        assertThat(doc.path("state").has("delta")).isFalse();
    }

    @Test
    void onlyTheThingReportsAndNothingChangesWhenRefused() {
        ServerFrame.ShadowRejected r = rejected(update("phone", "thermostat", null, "x", "{\"reported\":{\"temperature\":5}}"));
        assertThat(r.code()).isEqualTo(ErrorCode.FORBIDDEN);
        assertThat(r.clientToken()).isEqualTo("x");
        assertThat(rejected(get("phone", "thermostat")).code()).isEqualTo(ErrorCode.NOT_FOUND);
        assertThat(entries("alice")).isEmpty();
    }

    @Test
    void versionsAreOptimisticAndExactlyOneOfTwoWriters() {
        accepted(update("phone", "thermostat", 0L, null, "{\"desired\":{\"temperature\":20}}"));
        accepted(update("phone", "thermostat", 1L, null, "{\"desired\":{\"temperature\":21}}"));
        ServerFrame.ShadowRejected conflict = rejected(update("laptop", "thermostat", 1L, null, "{\"desired\":{\"temperature\":25}}"));
        assertThat(conflict.code()).isEqualTo(ErrorCode.VERSION_CONFLICT);
        assertThat(conflict.version()).isEqualTo(2L);
        assertThat(accepted(get("laptop", "thermostat")).path("state").path("desired").path("temperature").asInt()).isEqualTo(21);
        assertThat(rejected(update("phone", "thermostat", 0L, null, "{\"desired\":{\"x\":1}}")).code())
                .isEqualTo(ErrorCode.VERSION_CONFLICT);
    }

    @Test
    void deleteKeepsCountingVersionsAndAnswersNotFoundUntilTheNextUpdate() {
        accepted(update("phone", "thermostat", null, null, "{\"desired\":{\"temperature\":20}}"));
        assertThat(rejected(delete("phone", "thermostat", 5L)).code()).isEqualTo(ErrorCode.VERSION_CONFLICT);
        JsonNode deleted = accepted(delete("phone", "thermostat", 1L));
        assertThat(deleted.path("version").asLong()).isEqualTo(2);
        assertThat(rejected(get("phone", "thermostat")).code()).isEqualTo(ErrorCode.NOT_FOUND);
        assertThat(rejected(delete("phone", "thermostat", null)).code()).isEqualTo(ErrorCode.NOT_FOUND);
        assertThat(rejected(update("phone", "thermostat", 0L, null, "{\"desired\":{\"a\":1}}")).code())
                .isEqualTo(ErrorCode.VERSION_CONFLICT);
        JsonNode again = accepted(update("phone", "thermostat", 2L, null, "{\"desired\":{\"a\":1}}"));
        assertThat(again.path("version").asLong()).isEqualTo(3);
        assertThat(again.path("state").path("desired")).isEqualTo(json("{\"a\":1}"));
    }

    @Test
    void namedShadowsAreSeparateDocuments() {
        accepted(update("phone", "thermostat", null, null, "{\"desired\":{\"temperature\":20}}"));
        ops.pipeInput("alice", new InboxOp.Shadow("phone", "d1", "r-named", ClientFrame.ShadowOp.UPDATE, "thermostat",
                "schedule", null, null, bytes("{\"desired\":{\"night\":16}}")), now);
        JsonNode named = accepted(answer("r-named"));
        assertThat(named.path("name").asText()).isEqualTo("schedule");
        assertThat(named.path("version").asLong()).isEqualTo(1);
        assertThat(accepted(get("phone", "thermostat")).path("state").path("desired")).isEqualTo(json("{\"temperature\":20}"));
    }

    @Test
    void limitsOnSizeAndDepthAreRefusedWithoutAChange() {
        String big = "x".repeat(300);
        assertThat(rejected(update("phone", "thermostat", null, null, "{\"desired\":{\"text\":\"" + big + "\"}}")).code())
                .isEqualTo(ErrorCode.TOO_LARGE);
        assertThat(rejected(update("phone", "thermostat", null, null, "{\"desired\":{\"a\":{\"b\":{\"c\":{\"d\":1}}}}}")).code())
                .isEqualTo(ErrorCode.INVALID_FIELD);
        accepted(update("phone", "thermostat", null, null, "{\"desired\":{\"a\":{\"b\":{\"c\":1}}}}"));
        assertThat(accepted(get("phone", "thermostat")).path("version").asLong()).isEqualTo(1);
    }

    @Test
    void aResentUpdateIsAnsweredButNotAppliedTwice() {
        accepted(update("phone", "thermostat", null, "same", "{\"desired\":{\"temperature\":20}}"));
        accepted(update("laptop", "thermostat", null, "other", "{\"desired\":{\"temperature\":22}}"));
        JsonNode resent = accepted(update("phone", "thermostat", null, "same", "{\"desired\":{\"temperature\":20}}"));
        assertThat(resent.path("version").asLong()).isEqualTo(2);
        assertThat(resent.path("state").path("desired").path("temperature").asInt()).isEqualTo(22);
        // the same token from another device is another update
        assertThat(accepted(update("tablet", "thermostat", null, "same", "{\"desired\":{\"temperature\":23}}"))
                .path("version").asLong()).isEqualTo(3);
    }

    @Test
    void aSleepingThingFindsOnlyTheLatestDeltaAndDocumentsAmongGaplessSeqs() {
        ops.pipeInput("alice", new InboxOp.Append(Entry.message("m-1", "bob", "phone", "alice", T0.toEpochMilli(), false,
                bytes("{\"text\":\"before\"}"))), now);
        for (int t = 1; t <= 300; t++) {
            accepted(update("phone", "thermostat", null, "c-" + t, "{\"desired\":{\"temperature\":" + t + "}}"));
        }
        ops.pipeInput("alice", new InboxOp.Append(Entry.message("m-2", "bob", "phone", "alice", T0.toEpochMilli(), false,
                bytes("{\"text\":\"after\"}"))), now);
        List<Entry> entries = entries("alice");
        assertThat(entries).extracting(Entry::seq).containsExactlyElementsOf(
                java.util.stream.LongStream.rangeClosed(1, 602).boxed().toList());
        List<Entry> live = entries.stream().filter(e -> e.kind() != Entry.Kind.SUPERSEDED).toList();
        assertThat(live).extracting(Entry::kind).containsExactly(Entry.Kind.MESSAGE, Entry.Kind.SHADOW_DELTA,
                Entry.Kind.SHADOW_DOCUMENTS, Entry.Kind.MESSAGE);
        JsonNode delta = json(new String(live.get(1).body(), StandardCharsets.UTF_8));
        assertThat(delta.path("state")).isEqualTo(json("{\"temperature\":300}"));
        assertThat(delta.path("version").asLong()).isEqualTo(300);
        assertThat(delta.path("thing").asText()).isEqualTo("thermostat");
        JsonNode docs = json(new String(live.get(2).body(), StandardCharsets.UTF_8));
        assertThat(docs.path("previous").path("version").asLong()).isEqualTo(299);
        assertThat(docs.path("current").path("state").path("desired").path("temperature").asInt()).isEqualTo(300);
        assertThat(docs.path("by").asText()).isEqualTo("phone");
    }

    @Test
    void aReportThatMatchesSupersedesThePendingDeltaWithoutANewOne() {
        accepted(update("phone", "thermostat", null, null, "{\"desired\":{\"temperature\":21}}"));
        accepted(update("thermostat", "thermostat", null, null, "{\"reported\":{\"temperature\":21}}"));
        List<Entry> live = entries("alice").stream().filter(e -> e.kind() != Entry.Kind.SUPERSEDED).toList();
        assertThat(live).extracting(Entry::kind).containsExactly(Entry.Kind.SHADOW_DOCUMENTS);
        accepted(delete("phone", "thermostat", null));
        live = entries("alice").stream().filter(e -> e.kind() != Entry.Kind.SUPERSEDED).toList();
        assertThat(live).hasSize(1);
        JsonNode docs = json(new String(live.get(0).body(), StandardCharsets.UTF_8));
        assertThat(docs.path("current").isNull()).isTrue();
        assertThat(docs.path("previous").path("version").asLong()).isEqualTo(2);
    }

    @Test
    void aThingRegisteredAfterItsAppSetDesiredStillFindsItsDelta() {
        ops.pipeInput("alice", new InboxOp.Connect("phone", "d1", "c-phone", null), now); // the user's first device
        accepted(update("phone", "heater", null, null, "{\"desired\":{\"temperature\":19}}"));
        accepted(update("phone", "heater", null, null, "{\"desired\":{\"temperature\":21}}"));
        accepted(update("phone", "lamp", null, null, "{\"desired\":{\"on\":true}}")); // another thing's
        ops.pipeInput("alice", new InboxOp.Connect("heater", "d1", "c-heater", null), now.plusMillis(1));
        KeyValueStore<String, InboxMeta> meta = driver.getKeyValueStore(RouterTopology.META_STORE);
        KeyValueStore<byte[], byte[]> store = driver.getKeyValueStore(RouterTopology.INBOX_STORE);
        InboxPage forHeater = InboxPages.read(meta, store, "alice", null, "heater", 1000, Long.MAX_VALUE);
        assertThat(forHeater.entries()).extracting(Entry::kind).containsExactly(Entry.Kind.SHADOW_DELTA);
        JsonNode delta = json(new String(forHeater.entries().get(0).body(), StandardCharsets.UTF_8));
        assertThat(delta.path("thing").asText()).isEqualTo("heater");
        assertThat(delta.path("state")).isEqualTo(json("{\"temperature\":21}"));
        assertThat(entries("alice").stream().filter(e -> e.kind() == Entry.Kind.SHADOW_DELTA))
                .as("one live delta per shadow: the re-issued one superseded the old").hasSize(2);
        // the next change supersedes the re-issued delta
        accepted(update("phone", "heater", null, null, "{\"desired\":{\"temperature\":22}}"));
        assertThat(entries("alice").stream().filter(e -> e.kind() == Entry.Kind.SHADOW_DELTA
                && e.to().equals("heater"))).hasSize(1);
        // a known device reconnecting re-issues nothing
        long head = meta.get("alice").head();
        ops.pipeInput("alice", new InboxOp.Connect("heater", "d1", "c-heater-2", null), now.plusMillis(2));
        assertThat(meta.get("alice").head()).isEqualTo(head);
    }

    @Test
    void shadowsOfOneUserAreNotAnotherUsers() {
        accepted(update("phone", "thermostat", null, null, "{\"desired\":{\"temperature\":21}}"));
        ops.pipeInput("bob", new InboxOp.Shadow("thermostat", "d1", "r-bob", ClientFrame.ShadowOp.GET, "thermostat", "",
                null, null, null), now);
        assertThat(rejected(answer("r-bob")).code()).isEqualTo(ErrorCode.NOT_FOUND);
        assertThat(entries("bob")).isEmpty();
    }

    // --- helpers

    private String update(String device, String thing, Long version, String token, String state) {
        return request("alice", new InboxOp.Shadow(device, "d1", "r-" + requests.incrementAndGet(), ClientFrame.ShadowOp.UPDATE,
                thing, "", token, version, bytes(state)));
    }

    private String get(String device, String thing) {
        return request("alice", new InboxOp.Shadow(device, "d1", "r-" + requests.incrementAndGet(), ClientFrame.ShadowOp.GET,
                thing, "", null, null, null));
    }

    private String delete(String device, String thing, Long version) {
        return request("alice", new InboxOp.Shadow(device, "d1", "r-" + requests.incrementAndGet(), ClientFrame.ShadowOp.DELETE,
                thing, "", null, version, null));
    }

    private String request(String user, InboxOp.Shadow op) {
        now = now.plusMillis(10);
        ops.pipeInput(user, op, now);
        return answer(op.request());
    }

    /** The answer pushed to instance d1 for {@code request}. */
    private String answer(String request) {
        String found = null;
        while (!push.isEmpty()) {
            var r = push.readRecord();
            if (r.value() instanceof Push.ShadowAnswer a && a.request().equals(request)) {
                assertThat(r.key()).isEqualTo("d1");
                found = a.frame();
            }
        }
        assertThat(found).as("answer to " + request).isNotNull();
        return found;
    }

    private static JsonNode accepted(String frame) {
        ServerFrame f = Frames.decodeServer(frame);
        assertThat(f).as(frame).isInstanceOf(ServerFrame.ShadowAccepted.class);
        return ((ServerFrame.ShadowAccepted) f).document();
    }

    private static ServerFrame.ShadowRejected rejected(String frame) {
        ServerFrame f = Frames.decodeServer(frame);
        assertThat(f).as(frame).isInstanceOf(ServerFrame.ShadowRejected.class);
        return (ServerFrame.ShadowRejected) f;
    }

    private List<Entry> entries(String user) {
        KeyValueStore<String, InboxMeta> meta = driver.getKeyValueStore(RouterTopology.META_STORE);
        KeyValueStore<byte[], byte[]> entries = driver.getKeyValueStore(RouterTopology.INBOX_STORE);
        InboxPage page = InboxPages.read(meta, entries, user, 0L, null, 100_000, Long.MAX_VALUE);
        return page.entries();
    }

    private static JsonNode json(String text) {
        return Json.read(text, JsonNode.class);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
