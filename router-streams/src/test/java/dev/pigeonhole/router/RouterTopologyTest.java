package dev.pigeonhole.router;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.TextNode;
import dev.pigeonhole.protocol.topics.AckRecord;
import dev.pigeonhole.protocol.topics.GroupRecord;
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
    static final Retention RETENTION = new Retention(Duration.ofDays(7), 1000, Duration.ofDays(1), Duration.ofMinutes(1), 10_000, 2);
    private static final RouterTopology.Settings SETTINGS =
            new RouterTopology.Settings(4, Duration.ofDays(7), Duration.ofMinutes(30), RETENTION);

    private TopologyTestDriver driver;
    private TestInputTopic<String, SendEnvelope> inbound;
    private TestInputTopic<String, AckRecord> acks;
    private TestInputTopic<String, SessionRecord> sessions;
    private TestOutputTopic<String, PushRecord> push;
    private TestInputTopic<String, GroupRecord> groups;

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
        groups = driver.createInputTopic(Topics.GROUPS.name(), Topics.GROUPS.keySerde().serializer(),
                Topics.GROUPS.valueSerde().serializer());
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
        sessions.pipeInput("bob", new SessionRecord(SessionRecord.Op.CONNECT, "laptop", "delivery-a", "c1", 1, 0L));
        sessions.pipeInput("bob", new SessionRecord(SessionRecord.Op.CONNECT, "phone", "delivery-a", "c2", 1, 0L));
        acks.pipeInput("bob", new AckRecord("laptop", 5));
        acks.pipeInput("bob", new AckRecord("laptop", 3));
        acks.pipeInput("bob", new AckRecord("phone", 99)); // beyond head: clamped
        acks.pipeInput("bob", new AckRecord("tablet", 4)); // not registered (e.g. removed): ignored

        KeyValueStore<String, InboxMeta> meta = driver.getKeyValueStore(RouterTopology.META_STORE);
        assertThat(meta.get("bob").cursor("laptop")).isEqualTo(5);
        assertThat(meta.get("bob").cursor("phone")).isEqualTo(10);
        assertThat(meta.get("bob").devices()).containsOnlyKeys("laptop", "phone");
        InboxPage resumed = InboxPages.read(meta, driver.getKeyValueStore(RouterTopology.INBOX_STORE), "bob", null,
                "laptop", 100);
        assertThat(resumed.after()).isEqualTo(5);
        assertThat(resumed.entries()).extracting(InboxEntry::seq).containsExactly(6L, 7L, 8L, 9L, 10L);
    }

    @Test
    void liveEntriesArePushedOnlyToTheInstancesHoldingTheUsersDevices() {
        send("alice", "phone", "m-1", "bob", "before connect", T0);
        connect("bob", "laptop", "delivery-a", "c1", 1);
        connect("carol", "phone", "delivery-b", "c2", 1);

        // On connect the instance learns the head, so it reads m-1 from the store.
        assertThat(push.readKeyValuesToList()).containsExactly(
                KeyValue.pair("delivery-a", new PushRecord("bob", epochOf("bob"), 1, null)),
                KeyValue.pair("delivery-b", new PushRecord("carol", epochOf("carol"), 0, null)));

        send("alice", "phone", "m-2", "bob", "live", T0.plusSeconds(1));
        List<KeyValue<String, PushRecord>> pushed = push.readKeyValuesToList();
        assertThat(pushed).hasSize(1);
        assertThat(pushed.get(0).key).isEqualTo("delivery-a");
        assertThat(pushed.get(0).value.entry().id()).isEqualTo("m-2");
        assertThat(pushed.get(0).value.head()).isEqualTo(2);

        // A late disconnect of a socket the device already replaced does not remove the newer session.
        connect("bob", "laptop", "delivery-b", "c3", 2);
        disconnect("bob", "laptop", "delivery-a", "c1");
        push.readKeyValuesToList();
        send("alice", "phone", "m-3", "bob", "live", T0.plusSeconds(2));
        assertThat(push.readKeyValuesToList()).extracting(kv -> kv.key).containsExactly("delivery-b");

        disconnect("bob", "laptop", "delivery-b", "c3");
        send("alice", "phone", "m-4", "bob", "offline again", T0.plusSeconds(3));
        assertThat(push.readKeyValuesToList()).isEmpty();
    }

    @Test
    void sessionsNotRefreshedExpire() {
        connect("bob", "laptop", "delivery-a", "c1", 1);
        push.readKeyValuesToList();
        driver.advanceWallClockTime(Duration.ofMinutes(20));
        connect("bob", "phone", "delivery-b", "c2", 2); // refreshed later
        push.readKeyValuesToList();
        driver.advanceWallClockTime(Duration.ofMinutes(20));

        send("alice", "phone", "m-1", "bob", "x", T0);
        assertThat(push.readKeyValuesToList()).extracting(kv -> kv.key).containsExactly("delivery-b");
    }

    @Test
    void aNewDeviceStartsAtTheTailUnlessItIsTheFirstOrAsksForHistory() {
        for (int i = 1; i <= 3; i++) {
            send("alice", "phone", "m-" + i, "bob", "x", T0.plusMillis(i));
        }
        assertThat(InboxPages.read(meta(), entries(), "bob", null, "phone", 100).entries())
                .as("bob's first device gets everything waiting").hasSize(3);
        connect("bob", "phone", "delivery-a", "c1", 1);
        assertThat(meta().get("bob").cursor("phone")).isZero();

        assertThat(InboxPages.read(meta(), entries(), "bob", null, "tablet", 100))
                .as("a further device reads from the head").satisfies(p -> {
                    assertThat(p.after()).isEqualTo(3);
                    assertThat(p.entries()).isEmpty();
                });
        connect("bob", "tablet", "delivery-a", "c2", 1);
        sessions.pipeInput("bob", new SessionRecord(SessionRecord.Op.CONNECT, "laptop", "delivery-b", "c3", 1, 1L));
        assertThat(meta().get("bob").cursor("tablet")).isEqualTo(3);
        assertThat(meta().get("bob").cursor("laptop")).as("asked for history after 1").isEqualTo(1);

        send("alice", "phone", "m-4", "bob", "x", T0.plusMillis(4));
        assertThat(InboxPages.read(meta(), entries(), "bob", null, "tablet", 100).entries())
                .extracting(InboxEntry::id).containsExactly("m-4");
        assertThat(InboxPages.devices(meta(), driver.getKeyValueStore(RouterTopology.SESSIONS_STORE), "bob").devices())
                .extracting(d -> d.device(), d -> d.cursor(), d -> d.connected())
                .containsExactly(org.assertj.core.groups.Tuple.tuple("laptop", 1L, true),
                        org.assertj.core.groups.Tuple.tuple("phone", 0L, true),
                        org.assertj.core.groups.Tuple.tuple("tablet", 3L, true));
    }

    @Test
    void theNewestSocketOfADeviceDisplacesTheOthers() {
        connect("bob", "laptop", "delivery-a", "c1", 100);
        connect("bob", "laptop", "delivery-b", "c2", 200);
        assertThat(closes()).containsExactly(KeyValue.pair("delivery-a", close("c1", PushRecord.Close.Reason.DISPLACED)));

        // A refresh of the displaced socket, or a socket that opened earlier but reached the router later, loses.
        sessions.pipeInput("bob", new SessionRecord(SessionRecord.Op.REFRESH, "laptop", "delivery-a", "c1", 100, null));
        connect("bob", "laptop", "delivery-c", "c0", 50);
        assertThat(closes()).containsExactly(KeyValue.pair("delivery-a", close("c1", PushRecord.Close.Reason.DISPLACED)),
                KeyValue.pair("delivery-c", close("c0", PushRecord.Close.Reason.DISPLACED)));
        send("alice", "phone", "m-1", "bob", "live", T0);
        assertThat(push.readKeyValuesToList()).extracting(kv -> kv.key).containsExactly("delivery-b");
    }

    @Test
    void removingADeviceDropsItsCursorAndClosesItsSocket() {
        send("alice", "phone", "m-1", "bob", "x", T0);
        connect("bob", "laptop", "delivery-a", "c1", 1);
        connect("bob", "phone", "delivery-a", "c2", 1);
        push.readKeyValuesToList();
        sessions.pipeInput("bob", SessionRecord.remove("laptop"));
        assertThat(closes()).containsExactly(KeyValue.pair("delivery-a", close("c1", PushRecord.Close.Reason.REMOVED)));
        assertThat(meta().get("bob").devices()).containsOnlyKeys("phone");
        // a refresh of the removed socket or a late ack of it does not bring the device back
        sessions.pipeInput("bob", new SessionRecord(SessionRecord.Op.REFRESH, "laptop", "delivery-a", "c1", 1, null));
        acks.pipeInput("bob", new AckRecord("laptop", 1));
        assertThat(meta().get("bob").devices()).containsOnlyKeys("phone");
    }

    @Test
    void retentionRemovesOldEntriesWithTheirReasonAndTellsSendersWhatNoDeviceReceived() {
        connect("bob", "phone", "delivery-a", "c1", 1); // registered at 0
        send("alice", "phone", "old-1", "bob", "x", T0);
        send("alice", "phone", "old-2", "bob", "x", T0.plusSeconds(1));
        send("carol", "phone", "old-3", "bob", "x", T0.plusSeconds(2));
        send("bob", "phone", "own-1", "dave", "x", T0.plusSeconds(3)); // bob's own copy expires without notice
        acks.pipeInput("bob", new AckRecord("phone", 1)); // old-1 was received
        driver.advanceWallClockTime(Duration.ofDays(3));
        send("alice", "phone", "new-1", "bob", "x", T0.plus(Duration.ofDays(3)));
        clearNotices();

        driver.advanceWallClockTime(Duration.ofDays(5)); // day 8: the first four are older than 7 days
        retentionRounds(); // two inboxes per check: a few checks reach every inbox
        InboxMeta m = meta().get("bob");
        assertThat(m.oldest()).isEqualTo(5);
        InboxPage behind = InboxPages.read(meta(), entries(), "bob", 0L, null, 100);
        assertThat(behind.gap()).isEqualTo(new InboxPage.Gap(1, 4, Retention.EXPIRED));
        assertThat(behind.entries()).filteredOn(InboxEntry::isMessage).extracting(InboxEntry::id).containsExactly("new-1");
        // dave never connected a device: bob's message to him expired unreceived, and bob is told
        assertThat(behind.entries()).filteredOn(e -> e.kind() == InboxEntry.Kind.UNDELIVERED)
                .extracting(InboxEntry::from).containsExactly("dave");

        // alice learns old-2 expired unreceived (old-1 was acked); carol learns of old-3
        List<InboxEntry> aliceNotices = noticesOf("alice", InboxEntry.Kind.UNDELIVERED);
        assertThat(aliceNotices).hasSize(1);
        assertThat(aliceNotices.get(0).toFrame()).isInstanceOfSatisfying(dev.pigeonhole.protocol.ServerFrame.Undelivered.class, f -> {
            assertThat(f.recipient()).isEqualTo("bob");
            assertThat(f.reason()).isEqualTo(Retention.EXPIRED);
            assertThat(f.messages()).extracting(dev.pigeonhole.protocol.ServerFrame.Undelivered.Item::id).containsExactly("old-2");
        });
        assertThat(noticesOf("carol", InboxEntry.Kind.UNDELIVERED)).hasSize(1);
        assertThat(noticesOf("dave", InboxEntry.Kind.UNDELIVERED)).isEmpty();
    }

    @Test
    void retentionTrimsAnInboxOverItsSizeAndDropsWhatEveryDeviceAckedAfterTheAckedRetention() {
        connect("bob", "phone", "delivery-a", "c1", 1);
        for (int i = 1; i <= RETENTION.maxEntries() + 5; i++) {
            send("alice", "phone", "m-" + i, "bob", "x", T0);
        }
        assertThat(meta().get("bob").oldest()).as("the five oldest went as the newest came").isEqualTo(6);
        assertThat(InboxPages.read(meta(), entries(), "bob", 2L, null, 1).gap())
                .isEqualTo(new InboxPage.Gap(3, 5, Retention.TRIMMED));

        acks.pipeInput("bob", new AckRecord("phone", 10));
        driver.advanceWallClockTime(Duration.ofHours(23));
        retentionRounds();
        assertThat(meta().get("bob").oldest()).as("acked, but kept a day").isEqualTo(6);
        driver.advanceWallClockTime(Duration.ofHours(2));
        retentionRounds();
        assertThat(meta().get("bob").oldest()).isEqualTo(11);
        assertThat(InboxPages.read(meta(), entries(), "bob", 0L, null, 1).gap())
                .as("the reason of the latest range").isEqualTo(new InboxPage.Gap(1, 10, Retention.ACKED));
        assertThat(noticesOf("alice", InboxEntry.Kind.UNDELIVERED)).as("m-1..m-5 were never received")
                .flatExtracting(e -> ((dev.pigeonhole.protocol.ServerFrame.Undelivered) e.toFrame()).messages())
                .extracting(dev.pigeonhole.protocol.ServerFrame.Undelivered.Item::id)
                .containsExactly("m-1", "m-2", "m-3", "m-4", "m-5");
    }

    @Test
    void acksAndReadMarkersSendReceiptsToTheSendersAggregatedPerMessage() {
        connect("bob", "phone", "delivery-a", "c1", 1);
        connect("bob", "laptop", "delivery-a", "c2", 1);
        send("alice", "phone", "m-1", "bob", "x", T0);
        send("alice", "phone", "m-2", "bob", "x", T0);
        send("carol", "phone", "c-1", "bob", "x", T0);
        clearNotices();

        acks.pipeInput("bob", new AckRecord("phone", 3));
        assertThat(receipts("alice")).containsExactly(new dev.pigeonhole.protocol.ServerFrame.Receipt.Item("m-1", "bob", 1, 2),
                new dev.pigeonhole.protocol.ServerFrame.Receipt.Item("m-2", "bob", 1, 2));
        assertThat(receipts("carol")).containsExactly(new dev.pigeonhole.protocol.ServerFrame.Receipt.Item("c-1", "bob", 1, 2));

        acks.pipeInput("bob", new AckRecord("laptop", 1));
        acks.pipeInput("bob", new AckRecord("laptop", 1)); // no move, no receipt
        assertThat(receipts("alice")).containsExactly(new dev.pigeonhole.protocol.ServerFrame.Receipt.Item("m-1", "bob", 2, 2));

        acks.pipeInput("bob", new AckRecord("phone", 2, true, 0, 0));
        acks.pipeInput("bob", new AckRecord("laptop", 2, true, 0, 0)); // already read on the phone
        List<InboxEntry> read = noticesOf("alice", InboxEntry.Kind.RECEIPT);
        assertThat(read).hasSize(1);
        assertThat(read.get(0).toFrame()).isInstanceOfSatisfying(dev.pigeonhole.protocol.ServerFrame.Receipt.class, r -> {
            assertThat(r.by()).isEqualTo("bob");
            assertThat(r.status()).isEqualTo(dev.pigeonhole.protocol.ServerFrame.Receipt.Status.READ);
            assertThat(r.messages()).extracting(dev.pigeonhole.protocol.ServerFrame.Receipt.Item::id).containsExactly("m-1", "m-2");
        });

        // entries a device skipped (newest-first catch-up) are not reported delivered
        send("alice", "phone", "m-3", "bob", "x", T0);
        send("alice", "phone", "m-4", "bob", "x", T0);
        clearNotices();
        acks.pipeInput("bob", new AckRecord("laptop", 5, false, 3, 4));
        assertThat(receipts("alice")).extracting(dev.pigeonhole.protocol.ServerFrame.Receipt.Item::id)
                .as("m-2 (seq 2) was delivered before; m-3 (seq 4) was skipped").containsExactly("m-2", "m-4");
        // bob's inbox holds only messages: receipts go to the senders' inboxes
        assertThat(page("bob", 0).entries()).allMatch(InboxEntry::isMessage);
    }

    @Test
    void aGroupSendFansOutToTheMembersOfTheMomentAndTheSendersOwnInbox() {
        group("g1", "alice", false, "alice", "bob", "carol");
        send("alice", "phone", "g-1", "group:g1", "hello all", T0);
        for (String member : List.of("bob", "carol")) {
            assertThat(page(member, 0).entries()).extracting(InboxEntry::id, InboxEntry::to, InboxEntry::own)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple("g-1", "group:g1", false));
        }
        assertThat(page("alice", 0).entries()).extracting(InboxEntry::id, InboxEntry::own)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("g-1", true));

        groups.pipeInput(GroupRecord.memberKey("g1", "carol"), null); // carol leaves
        groups.pipeInput(GroupRecord.memberKey("g1", "dave"), new GroupRecord(null, new GroupRecord.Member(GroupRecord.Role.MEMBER, 0)));
        send("bob", "phone", "g-2", "group:g1", "carol is gone", T0.plusSeconds(1));
        assertThat(page("carol", 1).entries()).isEmpty();
        assertThat(page("dave", 0).entries()).extracting(InboxEntry::id).containsExactly("g-2");
        assertThat(page("alice", 1).entries()).extracting(InboxEntry::id).containsExactly("g-2");
    }

    @Test
    void aGroupSendTheGroupDoesNotTakeReachesNobodyAndTheSenderIsTold() {
        group("g1", "alice", false, "alice", "bob");
        send("mallory", "phone", "x-1", "group:g1", "let me in", T0);
        send("alice", "phone", "x-2", "group:nope", "anyone?", T0);
        assertThat(page("bob", 0).entries()).isEmpty();
        assertThat(page("mallory", 0).entries()).singleElement().satisfies(e -> {
            assertThat(e.toFrame()).isEqualTo(new dev.pigeonhole.protocol.ServerFrame.Undelivered(1, "group:g1", "not_a_member",
                    List.of(new dev.pigeonhole.protocol.ServerFrame.Undelivered.Item("x-1", "group:g1", T0.toEpochMilli())),
                    T0.toEpochMilli()));
        });
        assertThat(page("alice", 0).entries()).extracting(e -> ((dev.pigeonhole.protocol.ServerFrame.Undelivered) e.toFrame()).reason())
                .containsExactly("unknown_group");

        group("open", "alice", true, "alice", "bob");
        send("mallory", "phone", "x-3", "group:open", "open group", T0);
        assertThat(page("bob", 0).entries()).extracting(InboxEntry::id).containsExactly("x-3");
    }

    @Test
    void topologyMatchesTheCheckedInDescription() throws IOException {
        Topology topology = RouterTopology.build(SETTINGS, RouterMetrics.detached());
        if (Boolean.getBoolean("pigeonhole.updateTopology")) { // after a deliberate change: review the diff
            java.nio.file.Files.writeString(java.nio.file.Path.of("src/test/resources/router-topology.txt"),
                    topology.describe().toString().strip() + "\n");
        }
        try (InputStream in = getClass().getResourceAsStream("/router-topology.txt")) {
            assertThat(in).as("router-topology.txt").isNotNull();
            String expected = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            assertThat(topology.describe().toString().strip()).isEqualTo(expected.strip());
        }
    }

    private void group(String id, String owner, boolean anyoneMayPost, String... members) {
        groups.pipeInput(GroupRecord.groupKey(id), new GroupRecord(new GroupRecord.Group(owner, anyoneMayPost, 0), null));
        for (String m : members) {
            groups.pipeInput(GroupRecord.memberKey(id, m), new GroupRecord(null, new GroupRecord.Member(
                    m.equals(owner) ? GroupRecord.Role.OWNER : GroupRecord.Role.MEMBER, 0)));
        }
    }

    void connect(String user, String device, String instance, String connection, long connectedAt) {
        sessions.pipeInput(user, new SessionRecord(SessionRecord.Op.CONNECT, device, instance, connection, connectedAt, null));
    }

    void disconnect(String user, String device, String instance, String connection) {
        sessions.pipeInput(user, new SessionRecord(SessionRecord.Op.DISCONNECT, device, instance, connection, 0, null));
    }

    private void retentionRounds() {
        for (int i = 0; i < 4; i++) {
            driver.advanceWallClockTime(RETENTION.checkInterval());
        }
    }

    private List<KeyValue<String, PushRecord>> closes() {
        return push.readKeyValuesToList().stream().filter(kv -> kv.value.close() != null).toList();
    }

    private static PushRecord close(String connection, PushRecord.Close.Reason reason) {
        return PushRecord.close("bob", "laptop", connection, reason);
    }

    private KeyValueStore<String, InboxMeta> meta() {
        return driver.getKeyValueStore(RouterTopology.META_STORE);
    }

    private KeyValueStore<String, InboxEntry> entries() {
        return driver.getKeyValueStore(RouterTopology.INBOX_STORE);
    }

    /** Notice entries in a user's inbox not seen by an earlier call. */
    private final java.util.Map<String, Long> noticesSeen = new java.util.HashMap<>();

    private List<InboxEntry> noticesOf(String user, InboxEntry.Kind kind) {
        long after = noticesSeen.getOrDefault(user, 0L);
        List<InboxEntry> all = page(user, after).entries();
        if (!all.isEmpty()) {
            noticesSeen.put(user, all.get(all.size() - 1).seq());
        }
        return all.stream().filter(e -> e.kind() == kind).toList();
    }

    private List<dev.pigeonhole.protocol.ServerFrame.Receipt.Item> receipts(String user) {
        return noticesOf(user, InboxEntry.Kind.RECEIPT).stream()
                .flatMap(e -> ((dev.pigeonhole.protocol.ServerFrame.Receipt) e.toFrame()).messages().stream()).toList();
    }

    private void clearNotices() {
        for (String user : List.of("alice", "carol", "dave")) {
            noticesOf(user, InboxEntry.Kind.MESSAGE);
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
