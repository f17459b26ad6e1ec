package dev.pigeonhole.router;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.TextNode;
import dev.pigeonhole.protocol.topics.AckRecord;
import dev.pigeonhole.protocol.topics.InboxEntry;
import dev.pigeonhole.protocol.topics.InboxPage;
import dev.pigeonhole.protocol.topics.PushRecord;
import dev.pigeonhole.protocol.topics.SendEnvelope;
import dev.pigeonhole.protocol.topics.SessionRecord;
import dev.pigeonhole.protocol.topics.Topics;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class RouterTopologyTest {
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
    private static final RouterTopology.Settings SETTINGS =
            new RouterTopology.Settings(4, Duration.ofDays(7), Duration.ofMinutes(30));

    private TopologyTestDriver driver;
    private TestInputTopic<String, SendEnvelope> inbound;
    private TestInputTopic<String, AckRecord> acks;
    private TestInputTopic<String, SessionRecord> sessions;
    private TestOutputTopic<String, PushRecord> push;

    @BeforeEach
    void setUp() {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "router-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        driver = new TopologyTestDriver(RouterTopology.build(SETTINGS, RouterMetrics.detached()), props, T0);
        inbound = driver.createInputTopic(Topics.INBOUND.name(), Topics.INBOUND.keySerde().serializer(),
                Topics.INBOUND.valueSerde().serializer());
        acks = driver.createInputTopic(Topics.ACKS.name(), Topics.ACKS.keySerde().serializer(),
                Topics.ACKS.valueSerde().serializer());
        sessions = driver.createInputTopic(Topics.SESSIONS.name(), Topics.SESSIONS.keySerde().serializer(),
                Topics.SESSIONS.valueSerde().serializer());
        push = driver.createOutputTopic(Topics.PUSH.name(), Topics.PUSH.keySerde().deserializer(),
                Topics.PUSH.valueSerde().deserializer());
    }

    @AfterEach
    void tearDown() {
        driver.close();
    }

    @Test
    void resendWithinRetentionIsStoredOnceEvenDaysLater() {
        send("alice", "phone", "m-1", "bob", "hello", T0);
        send("alice", "phone", "m-1", "bob", "hello again", T0.plus(Duration.ofDays(3)));
        send("alice", "phone", "m-1", "bob", "and again", T0.plus(Duration.ofDays(6)));

        assertThat(page("bob", 0).entries()).extracting(InboxEntry::id, e -> e.body().textValue())
                .containsExactly(org.assertj.core.groups.Tuple.tuple("m-1", "hello"));
        assertThat(page("alice", 0).entries()).hasSize(1);
    }

    @Test
    void resendAfterRetentionIsANewMessage() {
        send("alice", "phone", "m-1", "bob", "first", T0);
        send("alice", "phone", "m-1", "bob", "much later", T0.plus(Duration.ofDays(8)));
        assertThat(page("bob", 0).entries()).extracting(e -> e.body().textValue()).containsExactly("first", "much later");
    }

    @Test
    void sameIdFromAnotherDeviceOrSenderIsAnotherMessage() {
        send("alice", "phone", "m-1", "bob", "a", T0);
        send("alice", "laptop", "m-1", "bob", "b", T0);
        send("carol", "phone", "m-1", "bob", "c", T0);
        assertThat(page("bob", 0).entries()).extracting(InboxEntry::seq, e -> e.body().textValue())
                .containsExactly(org.assertj.core.groups.Tuple.tuple(1L, "a"), org.assertj.core.groups.Tuple.tuple(2L, "b"),
                        org.assertj.core.groups.Tuple.tuple(3L, "c"));
    }

    @Test
    void inboxIsGaplessAndKeepsEachSendersOrder() {
        for (int i = 0; i < 50; i++) {
            send("alice", "phone", "a-" + i, "bob", "a" + i, T0.plusMillis(i));
            send("carol", "tablet", "c-" + i, "bob", "c" + i, T0.plusMillis(i));
        }
        List<InboxEntry> entries = page("bob", 0).entries();
        assertThat(entries).extracting(InboxEntry::seq).containsExactlyElementsOf(
                java.util.stream.LongStream.rangeClosed(1, 100).boxed().toList());
        assertThat(entries.stream().filter(e -> e.from().equals("alice")).map(InboxEntry::id))
                .containsExactlyElementsOf(java.util.stream.IntStream.range(0, 50).mapToObj(i -> "a-" + i).toList());
        assertThat(entries.stream().filter(e -> e.from().equals("carol")).map(InboxEntry::id))
                .containsExactlyElementsOf(java.util.stream.IntStream.range(0, 50).mapToObj(i -> "c-" + i).toList());
        assertThat(page("bob", 90).entries()).extracting(InboxEntry::seq).containsExactly(91L, 92L, 93L, 94L, 95L,
                96L, 97L, 98L, 99L, 100L);
    }

    @Test
    void senderGetsAnOwnCopyInTheirInbox() {
        send("alice", "phone", "m-1", "bob", "hi bob", T0);
        send("bob", "laptop", "r-1", "alice", "hi alice", T0.plusSeconds(1));

        List<InboxEntry> alice = page("alice", 0).entries();
        assertThat(alice).extracting(InboxEntry::seq, InboxEntry::id, InboxEntry::own, InboxEntry::to)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(1L, "m-1", true, "bob"),
                        org.assertj.core.groups.Tuple.tuple(2L, "r-1", false, "alice"));
        assertThat(alice.get(0).fromDevice()).isEqualTo("phone");
    }

    @Test
    void noteToSelfIsStoredOnce() {
        send("alice", "phone", "n-1", "alice", "remember milk", T0);
        assertThat(page("alice", 0).entries()).extracting(InboxEntry::own).containsExactly(true);
    }

    @Test
    void acksAreCumulativeAndNeverMoveBack() {
        for (int i = 1; i <= 10; i++) {
            send("alice", "phone", "m-" + i, "bob", "x", T0.plusMillis(i));
        }
        acks.pipeInput("bob", new AckRecord("laptop", 5));
        acks.pipeInput("bob", new AckRecord("laptop", 3));
        acks.pipeInput("bob", new AckRecord("phone", 99)); // beyond head: clamped

        KeyValueStore<String, InboxMeta> meta = driver.getKeyValueStore(RouterTopology.META_STORE);
        assertThat(meta.get("bob").cursor("laptop")).isEqualTo(5);
        assertThat(meta.get("bob").cursor("phone")).isEqualTo(10);
        InboxPage resumed = InboxPages.read(meta, driver.getKeyValueStore(RouterTopology.INBOX_STORE), "bob", null,
                "laptop", 100);
        assertThat(resumed.after()).isEqualTo(5);
        assertThat(resumed.entries()).extracting(InboxEntry::seq).containsExactly(6L, 7L, 8L, 9L, 10L);
    }

    @Test
    void liveEntriesArePushedOnlyToTheInstancesHoldingTheUsersDevices() {
        send("alice", "phone", "m-1", "bob", "before connect", T0);
        sessions.pipeInput("bob", new SessionRecord("laptop", "delivery-a", true));
        sessions.pipeInput("carol", new SessionRecord("phone", "delivery-b", true));

        // On connect the instance learns the head, so it reads m-1 from the store.
        assertThat(push.readKeyValuesToList()).containsExactly(
                KeyValue.pair("delivery-a", new PushRecord("bob", epochOf("bob"), 1, null)),
                KeyValue.pair("delivery-b", new PushRecord("carol", 0, 0, null)));

        send("alice", "phone", "m-2", "bob", "live", T0.plusSeconds(1));
        List<KeyValue<String, PushRecord>> pushed = push.readKeyValuesToList();
        assertThat(pushed).hasSize(1);
        assertThat(pushed.get(0).key).isEqualTo("delivery-a");
        assertThat(pushed.get(0).value.entry().id()).isEqualTo("m-2");
        assertThat(pushed.get(0).value.head()).isEqualTo(2);

        // A late disconnect from an instance the device already left does not remove the newer session.
        sessions.pipeInput("bob", new SessionRecord("laptop", "delivery-b", true));
        sessions.pipeInput("bob", new SessionRecord("laptop", "delivery-a", false));
        push.readKeyValuesToList();
        send("alice", "phone", "m-3", "bob", "live", T0.plusSeconds(2));
        assertThat(push.readKeyValuesToList()).extracting(kv -> kv.key).containsExactly("delivery-b");

        sessions.pipeInput("bob", new SessionRecord("laptop", "delivery-b", false));
        send("alice", "phone", "m-4", "bob", "offline again", T0.plusSeconds(3));
        assertThat(push.readKeyValuesToList()).isEmpty();
    }

    @Test
    void sessionsNotRefreshedExpire() {
        sessions.pipeInput("bob", new SessionRecord("laptop", "delivery-a", true));
        push.readKeyValuesToList();
        driver.advanceWallClockTime(Duration.ofMinutes(20));
        sessions.pipeInput("bob", new SessionRecord("phone", "delivery-b", true)); // refreshed later
        push.readKeyValuesToList();
        driver.advanceWallClockTime(Duration.ofMinutes(20));

        send("alice", "phone", "m-1", "bob", "x", T0);
        assertThat(push.readKeyValuesToList()).extracting(kv -> kv.key).containsExactly("delivery-b");
    }

    @Test
    void topologyMatchesTheCheckedInDescription() throws IOException {
        Topology topology = RouterTopology.build(SETTINGS, RouterMetrics.detached());
        try (InputStream in = getClass().getResourceAsStream("/router-topology.txt")) {
            assertThat(in).as("router-topology.txt").isNotNull();
            String expected = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            assertThat(topology.describe().toString().strip()).isEqualTo(expected.strip());
        }
    }

    private long epochOf(String user) {
        KeyValueStore<String, InboxMeta> meta = driver.getKeyValueStore(RouterTopology.META_STORE);
        return meta.get(user).epoch();
    }

    private InboxPage page(String user, long after) {
        return InboxPages.read(driver.getKeyValueStore(RouterTopology.META_STORE),
                driver.getKeyValueStore(RouterTopology.INBOX_STORE), user, after, null, 10_000);
    }

    private void send(String from, String device, String id, String to, String text, Instant at) {
        inbound.pipeInput(from, new SendEnvelope(from, device, id, to, new TextNode(text), at.toEpochMilli()), at);
    }
}
