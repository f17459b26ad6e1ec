package dev.pigeonhole.router;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.groups.Tuple.tuple;

import dev.pigeonhole.protocol.Json;
import dev.pigeonhole.protocol.ServerFrame;
import dev.pigeonhole.records.Entry;
import dev.pigeonhole.records.InboxOp;
import dev.pigeonhole.records.InboxPage;
import dev.pigeonhole.records.Push;
import dev.pigeonhole.records.Topics;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.IntStream;
import java.util.stream.LongStream;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class RouterTopologyTest {
    static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
    static final Retention RETENTION = new Retention(Duration.ofDays(7), 1000, Duration.ofDays(1), Duration.ofMinutes(1), 10_000, 2);
    static final RouterTopology.Settings SETTINGS = new RouterTopology.Settings(Duration.ofDays(7), Duration.ofMinutes(30),
            RETENTION, Duration.ofSeconds(1), System::nanoTime, 16);

    private TopologyTestDriver driver;
    private TestInputTopic<String, InboxOp> ops;
    private TestOutputTopic<String, Push> push;
    private TestOutputTopic<String, InboxOp> outbox;

    @BeforeEach
    void setUp() {
        driver = driver(SETTINGS);
    }

    TopologyTestDriver driver(RouterTopology.Settings settings) {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "router-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        TopologyTestDriver d = new TopologyTestDriver(RouterTopology.build(settings, RouterMetrics.detached()), props, T0);
        ops = d.createInputTopic(Topics.INBOX_OPS.name(), Topics.INBOX_OPS.keySerde().serializer(),
                Topics.INBOX_OPS.valueSerde().serializer());
        push = d.createOutputTopic(Topics.PUSH.name(), Topics.PUSH.keySerde().deserializer(),
                Topics.PUSH.valueSerde().deserializer());
        outbox = d.createOutputTopic(Topics.ROUTER_OUTBOX.name(), Topics.ROUTER_OUTBOX.keySerde().deserializer(),
                Topics.ROUTER_OUTBOX.valueSerde().deserializer());
        return d;
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

        assertThat(page("bob", 0).entries()).extracting(Entry::id, RouterTopologyTest::text).containsExactly(tuple("m-1", "hello"));
        assertThat(page("alice", 0).entries()).hasSize(1);
    }

    @Test
    void aResendThatReachedOnlyOneInboxCompletesTheOtherWithoutDuplicates() {
        // the gateway wrote bob's copy, then failed before alice's own copy was acknowledged; the client resends
        ops.pipeInput("bob", append(message("alice", "phone", "m-1", "bob", "hi", false, T0)), T0);
        send("alice", "phone", "m-1", "bob", "hi", T0.plusSeconds(5));
        assertThat(page("bob", 0).entries()).extracting(Entry::id).containsExactly("m-1");
        assertThat(page("alice", 0).entries()).extracting(Entry::id, Entry::own).containsExactly(tuple("m-1", true));
    }

    @Test
    void resendAfterRetentionIsANewMessage() {
        send("alice", "phone", "m-1", "bob", "first", T0);
        send("alice", "phone", "m-1", "bob", "much later", T0.plus(Duration.ofDays(8)));
        assertThat(page("bob", 0).entries()).extracting(RouterTopologyTest::text).containsExactly("first", "much later");
    }

    @Test
    void sameIdFromAnotherDeviceOrSenderIsAnotherMessage() {
        send("alice", "phone", "m-1", "bob", "a", T0);
        send("alice", "laptop", "m-1", "bob", "b", T0);
        send("carol", "phone", "m-1", "bob", "c", T0);
        assertThat(page("bob", 0).entries()).extracting(Entry::seq, RouterTopologyTest::text)
                .containsExactly(tuple(1L, "a"), tuple(2L, "b"), tuple(3L, "c"));
    }

    @Test
    void inboxIsGaplessAndKeepsEachSendersOrder() {
        for (int i = 0; i < 50; i++) {
            send("alice", "phone", "a-" + i, "bob", "a" + i, T0.plusMillis(i));
            send("carol", "tablet", "c-" + i, "bob", "c" + i, T0.plusMillis(i));
        }
        List<Entry> entries = page("bob", 0).entries();
        assertThat(entries).extracting(Entry::seq).containsExactlyElementsOf(LongStream.rangeClosed(1, 100).boxed().toList());
        assertThat(entries.stream().filter(e -> e.from().equals("alice")).map(Entry::id))
                .containsExactlyElementsOf(IntStream.range(0, 50).mapToObj(i -> "a-" + i).toList());
        assertThat(entries.stream().filter(e -> e.from().equals("carol")).map(Entry::id))
                .containsExactlyElementsOf(IntStream.range(0, 50).mapToObj(i -> "c-" + i).toList());
        assertThat(page("bob", 90).entries()).extracting(Entry::seq).containsExactlyElementsOf(LongStream.rangeClosed(91, 100).boxed().toList());
    }

    @Test
    void theBodyIsStoredAsTheClientWroteIt() {
        String body = "{ \"text\": \"h\\u00e9 \u2028\", \"n\": 1.50e3 }";
        ops.pipeInput("bob", new InboxOp.Append(Entry.message("m-1", "alice", "phone", "bob", T0.toEpochMilli(), false,
                body.getBytes(StandardCharsets.UTF_8))), T0);
        assertThat(new String(page("bob", 0).entries().get(0).body(), StandardCharsets.UTF_8)).isEqualTo(body);
    }

    @Test
    void senderGetsAnOwnCopyInTheirInbox() {
        send("alice", "phone", "m-1", "bob", "hi bob", T0);
        send("bob", "laptop", "r-1", "alice", "hi alice", T0.plusSeconds(1));
        List<Entry> alice = page("alice", 0).entries();
        assertThat(alice).extracting(Entry::seq, Entry::id, Entry::own, Entry::to, Entry::fromDevice)
                .containsExactly(tuple(1L, "m-1", true, "bob", "phone"), tuple(2L, "r-1", false, "alice", "laptop"));
    }

    @Test
    void acksAreCumulativeAndNeverMoveBack() {
        for (int i = 1; i <= 10; i++) {
            send("alice", "phone", "m-" + i, "bob", "x", T0.plusMillis(i));
        }
        ops.pipeInput("bob", new InboxOp.Connect("laptop", "delivery-a", "c1", 0L));
        ops.pipeInput("bob", new InboxOp.Connect("phone", "delivery-a", "c2", 0L));
        ops.pipeInput("bob", new InboxOp.Ack("laptop", 5));
        ops.pipeInput("bob", new InboxOp.Ack("laptop", 3));
        ops.pipeInput("bob", new InboxOp.Ack("phone", 99)); // beyond head: clamped
        ops.pipeInput("bob", new InboxOp.Ack("tablet", 4)); // not registered (e.g. removed): ignored

        assertThat(meta().get("bob").cursor("laptop")).isEqualTo(5);
        assertThat(meta().get("bob").cursor("phone")).isEqualTo(10);
        assertThat(meta().get("bob").devices()).containsOnlyKeys("laptop", "phone");
        InboxPage resumed = InboxPages.read(meta(), entries(), "bob", null, "laptop", 100, Long.MAX_VALUE);
        assertThat(resumed.after()).isEqualTo(5);
        assertThat(resumed.entries()).extracting(Entry::seq).containsExactly(6L, 7L, 8L, 9L, 10L);
    }

    @Test
    void liveEntriesArePushedOnlyToTheInstancesHoldingTheUsersDevices() {
        send("alice", "phone", "m-1", "bob", "before connect", T0);
        connect("bob", "laptop", "delivery-a", "c1");
        connect("carol", "phone", "delivery-b", "c2");

        // On connect the instance learns the head, naming the socket: it reads m-1 from the store; carol has nothing
        // waiting, and the push says so (her stream starts without a read).
        assertThat(push.readKeyValuesToList()).containsExactly(
                KeyValue.pair("delivery-a", new Push.Head("bob", epochOf("bob"), 1, "c1")),
                KeyValue.pair("delivery-b", new Push.Head("carol", epochOf("carol"), 0, "c2", 0L)));

        send("alice", "phone", "m-2", "bob", "live", T0.plusSeconds(1));
        List<KeyValue<String, Push>> pushed = push.readKeyValuesToList();
        assertThat(pushed).hasSize(1);
        assertThat(pushed.get(0).key).isEqualTo("delivery-a");
        assertThat(pushed.get(0).value).isInstanceOfSatisfying(Push.NewEntry.class, p -> {
            assertThat(p.entry().id()).isEqualTo("m-2");
            assertThat(p.entry().seq()).isEqualTo(2);
            assertThat(p.head()).isEqualTo(2);
        });

        // A late disconnect of a socket the device already replaced does not remove the newer session.
        connect("bob", "laptop", "delivery-b", "c3");
        disconnect("bob", "laptop", "c1");
        push.readKeyValuesToList();
        send("alice", "phone", "m-3", "bob", "live", T0.plusSeconds(2));
        assertThat(push.readKeyValuesToList()).extracting(kv -> kv.key).containsExactly("delivery-b");

        disconnect("bob", "laptop", "c3");
        send("alice", "phone", "m-4", "bob", "offline again", T0.plusSeconds(3));
        assertThat(push.readKeyValuesToList()).isEmpty();
    }

    @Test
    void sessionsNotRefreshedExpire() {
        connect("bob", "laptop", "delivery-a", "c1", T0);
        connect("bob", "phone", "delivery-b", "c2", T0.plus(Duration.ofMinutes(20)));
        push.readKeyValuesToList();
        driver.advanceWallClockTime(Duration.ofMinutes(40)); // wall clock: T0 + 40 min
        send("alice", "phone", "m-1", "bob", "x", T0.plus(Duration.ofMinutes(40)));
        assertThat(push.readKeyValuesToList()).extracting(kv -> kv.key).containsExactly("delivery-b");
    }

    @Test
    void sessionsLiveWhileTheirInstanceRenewsItsLeaseAndEndWhenItGoesSilentOrRestarts() {
        lease("delivery-a", T0, T0);
        lease("delivery-b", T0, T0);
        connect("bob", "laptop", "delivery-a", "c1", T0.plusSeconds(1));
        connect("bob", "phone", "delivery-b", "c2", T0.plusSeconds(1));
        push.readKeyValuesToList();
        for (int minute = 1; minute <= 40; minute++) { // 40 minutes: both renew, then only delivery-a
            Instant now = T0.plus(Duration.ofMinutes(minute));
            lease("delivery-a", T0, now);
            if (minute <= 5) {
                lease("delivery-b", T0, now);
            }
            driver.advanceWallClockTime(Duration.ofMinutes(1));
        }
        send("alice", "phone", "m-1", "bob", "x", T0.plus(Duration.ofMinutes(40)));
        assertThat(push.readKeyValuesToList()).as("delivery-b has been silent for 35 min (expiry 30)")
                .extracting(kv -> kv.key).containsExactly("delivery-a");

        // delivery-a restarts under the same id: the sessions of its previous run are gone at the next walk
        Instant restart = T0.plus(Duration.ofMinutes(41));
        lease("delivery-a", restart, restart);
        connect("carol", "tablet", "delivery-a", "c3", restart.plusSeconds(1));
        driver.advanceWallClockTime(Duration.ofMinutes(1));
        assertThat(meta().get("bob").live()).isEmpty();
        assertThat(meta().get("carol").live()).containsOnlyKeys("tablet");
        assertThat(meta().get("bob").devices()).as("registrations stay").containsOnlyKeys("laptop", "phone");
    }

    @Test
    void aLeaseIsNotAboutAUserAndNeedsNoKey() {
        TestOutputTopic<String, byte[]> dead = driver.createOutputTopic(Topics.DEAD_LETTERS.name(),
                Topics.DEAD_LETTERS.keySerde().deserializer(), Topics.DEAD_LETTERS.valueSerde().deserializer());
        ops.pipeInput((String) null, new InboxOp.Lease("delivery-a", T0.toEpochMilli()), T0);
        assertThat(dead.readRecordsToList()).isEmpty();
        assertThat(meta().approximateNumEntries()).isZero();
        assertThat(push.readKeyValuesToList()).isEmpty();
        assertThat(outbox.readKeyValuesToList()).isEmpty();
    }

    @Test
    void aNewDeviceStartsAtTheTailUnlessItIsTheFirstOrAsksForHistory() {
        for (int i = 1; i <= 3; i++) {
            send("alice", "phone", "m-" + i, "bob", "x", T0.plusMillis(i));
        }
        assertThat(InboxPages.read(meta(), entries(), "bob", null, "phone", 100, Long.MAX_VALUE))
                .as("a device the router has not registered (its connect is on the way) cannot read yet").isNull();
        connect("bob", "phone", "delivery-a", "c1");
        assertThat(meta().get("bob").cursor("phone")).as("bob's first device gets everything waiting").isZero();
        assertThat(InboxPages.read(meta(), entries(), "bob", null, "phone", 100, Long.MAX_VALUE).entries()).hasSize(3);

        connect("bob", "tablet", "delivery-a", "c2");
        ops.pipeInput("bob", new InboxOp.Connect("laptop", "delivery-b", "c3", 1L));
        assertThat(meta().get("bob").cursor("tablet")).as("a further device starts at the head").isEqualTo(3);
        assertThat(meta().get("bob").cursor("laptop")).as("asked for history after 1").isEqualTo(1);

        send("alice", "phone", "m-4", "bob", "x", T0.plusMillis(4));
        assertThat(InboxPages.read(meta(), entries(), "bob", null, "tablet", 100, Long.MAX_VALUE).entries())
                .extracting(Entry::id).containsExactly("m-4");
        assertThat(InboxPages.devices(meta(), "bob").devices())
                .extracting(d -> d.device(), d -> d.cursor(), d -> d.connected())
                .containsExactly(tuple("laptop", 1L, true), tuple("phone", 0L, true), tuple("tablet", 3L, true));
    }

    @Test
    void ofTwoSocketsOfADeviceTheOneWhoseConnectCameLaterInTheLogWinsWhateverTheClocksSay() {
        connect("bob", "laptop", "delivery-a", "c1", T0.plusSeconds(100));
        connect("bob", "laptop", "delivery-b", "c2", T0); // an instance whose clock is behind
        assertThat(closes()).containsExactly(KeyValue.pair("delivery-a", close("c1", Push.Close.Reason.DISPLACED)));

        // A refresh of the displaced socket loses again.
        ops.pipeInput("bob", new InboxOp.Refresh("laptop", "delivery-a", "c1"), T0.plusSeconds(200));
        assertThat(closes()).containsExactly(KeyValue.pair("delivery-a", close("c1", Push.Close.Reason.DISPLACED)));
        send("alice", "phone", "m-1", "bob", "live", T0);
        assertThat(push.readKeyValuesToList()).extracting(kv -> kv.key).containsExactly("delivery-b");
    }

    @Test
    void aNewDeviceBeyondTheCapIsRefusedAndRegisteredOnceAnotherIsRemovedTheSameWayOnEveryReplay() {
        List<TestRecord<String, InboxOp>> log = List.of(
                new TestRecord<>("bob", new InboxOp.Connect("d1", "delivery-a", "c1", null), T0),
                new TestRecord<>("bob", new InboxOp.Connect("d2", "delivery-a", "c2", null), T0),
                new TestRecord<>("bob", new InboxOp.Connect("d3", "delivery-a", "c3", null), T0),
                new TestRecord<>("bob", new InboxOp.Connect("d4", "delivery-b", "c4", null), T0), // refused
                new TestRecord<>("bob", new InboxOp.Ack("d4", 1), T0), // not registered: ignored
                new TestRecord<>("bob", new InboxOp.Connect("d1", "delivery-b", "c5", null), T0), // known: takes over
                new TestRecord<>("bob", new InboxOp.Remove("d2"), T0),
                new TestRecord<>("bob", new InboxOp.Connect("d4", "delivery-b", "c6", null), T0)); // a free slot
        List<KeyValue<String, Push>> first = null;
        for (int run = 0; run < 2; run++) {
            driver.close();
            driver = driver(new RouterTopology.Settings(Duration.ofDays(7), Duration.ofMinutes(30), RETENTION,
                    Duration.ofSeconds(1), System::nanoTime, 3));
            ops.pipeRecordList(log.subList(0, 5));
            long epoch = epochOf("bob");
            assertThat(push.readKeyValuesToList()).containsExactly(
                    KeyValue.pair("delivery-a", new Push.Head("bob", epoch, 0, "c1", 0L)),
                    KeyValue.pair("delivery-a", new Push.Head("bob", epoch, 0, "c2", 0L)),
                    KeyValue.pair("delivery-a", new Push.Head("bob", epoch, 0, "c3", 0L)),
                    KeyValue.pair("delivery-b", new Push.Close("bob", "d4", "c4", Push.Close.Reason.TOO_MANY_DEVICES)));
            assertThat(meta().get("bob").devices()).containsOnlyKeys("d1", "d2", "d3");
            assertThat(meta().get("bob").live()).containsOnlyKeys("d1", "d2", "d3");

            ops.pipeRecordList(log.subList(5, log.size()));
            assertThat(meta().get("bob").devices()).containsOnlyKeys("d1", "d3", "d4");
            List<KeyValue<String, Push>> all = push.readKeyValuesToList();
            assertThat(all).containsExactly(
                    KeyValue.pair("delivery-a", new Push.Close("bob", "d1", "c1", Push.Close.Reason.DISPLACED)),
                    KeyValue.pair("delivery-b", new Push.Head("bob", epoch, 0, "c5", 0L)),
                    KeyValue.pair("delivery-a", new Push.Close("bob", "d2", "c2", Push.Close.Reason.REMOVED)),
                    KeyValue.pair("delivery-b", new Push.Head("bob", epoch, 0, "c6", 0L)));
            if (first == null) {
                first = all;
            } else {
                assertThat(all).as("a replay of the log takes the same decisions").isEqualTo(first);
            }
        }
    }

    @Test
    void removingADeviceDropsItsCursorAndClosesItsSocket() {
        send("alice", "phone", "m-1", "bob", "x", T0);
        connect("bob", "laptop", "delivery-a", "c1");
        connect("bob", "phone", "delivery-a", "c2");
        push.readKeyValuesToList();
        ops.pipeInput("bob", new InboxOp.Remove("laptop"));
        assertThat(closes()).containsExactly(KeyValue.pair("delivery-a", close("c1", Push.Close.Reason.REMOVED)));
        assertThat(meta().get("bob").devices()).containsOnlyKeys("phone");
        // a refresh of the removed socket or a late ack of it does not bring the device back
        ops.pipeInput("bob", new InboxOp.Refresh("laptop", "delivery-a", "c1"));
        ops.pipeInput("bob", new InboxOp.Ack("laptop", 1));
        assertThat(meta().get("bob").devices()).containsOnlyKeys("phone");
    }

    @Test
    void retentionRemovesOldEntriesWithTheirReasonAndTellsSendersWhatNoDeviceReceived() {
        connect("bob", "phone", "delivery-a", "c1"); // registered at 0
        send("alice", "phone", "old-1", "bob", "x", T0);
        send("alice", "phone", "old-2", "bob", "x", T0.plusSeconds(1));
        send("carol", "phone", "old-3", "bob", "x", T0.plusSeconds(2));
        send("bob", "phone", "own-1", "dave", "x", T0.plusSeconds(3)); // bob's own copy expires without notice
        ops.pipeInput("bob", new InboxOp.Ack("phone", 1)); // old-1 was received
        relay();
        driver.advanceWallClockTime(Duration.ofDays(3));
        send("alice", "phone", "new-1", "bob", "x", T0.plus(Duration.ofDays(3)));
        clearNotices();

        driver.advanceWallClockTime(Duration.ofDays(5)); // day 8: the first four are older than 7 days
        retentionRounds(); // two inboxes per check: a few checks reach every inbox
        relay();
        assertThat(meta().get("bob").oldest()).isEqualTo(5);
        InboxPage behind = InboxPages.read(meta(), entries(), "bob", 0L, null, 100, Long.MAX_VALUE);
        assertThat(behind.gap()).isEqualTo(new InboxPage.Gap(1, 4, Retention.EXPIRED));
        assertThat(behind.entries()).filteredOn(Entry::isMessage).extracting(Entry::id).containsExactly("new-1");
        // dave never connected a device: bob's message to him expired unreceived, and bob is told
        assertThat(behind.entries()).filteredOn(e -> e.kind() == Entry.Kind.UNDELIVERED).extracting(Entry::from)
                .containsExactly("dave");

        // alice learns old-2 expired unreceived (old-1 was acked); carol learns of old-3
        List<Entry> aliceNotices = noticesOf("alice", Entry.Kind.UNDELIVERED);
        assertThat(aliceNotices).hasSize(1);
        Entry.Undelivered u = Json.read(aliceNotices.get(0).body(), Entry.Undelivered.class);
        assertThat(aliceNotices.get(0).from()).isEqualTo("bob");
        assertThat(u.reason()).isEqualTo(Retention.EXPIRED);
        assertThat(u.messages()).extracting(ServerFrame.Undelivered.Item::id).containsExactly("old-2");
        assertThat(noticesOf("carol", Entry.Kind.UNDELIVERED)).hasSize(1);
        assertThat(noticesOf("dave", Entry.Kind.UNDELIVERED)).isEmpty();
    }

    @Test
    void retentionTrimsAnInboxOverItsSizeAndDropsWhatEveryDeviceAckedAfterTheAckedRetention() {
        driver.close();
        Retention small = new Retention(Duration.ofDays(7), 20, Duration.ofDays(1), Duration.ofMinutes(1), 10_000, 2);
        driver = driver(new RouterTopology.Settings(Duration.ofDays(7), Duration.ofMinutes(30), small,
                Duration.ofSeconds(1), System::nanoTime, 16));
        connect("bob", "phone", "delivery-a", "c1");
        for (int i = 1; i <= small.maxEntries() + 5; i++) {
            send("alice", "phone", "m-" + i, "bob", "x", T0);
        }
        assertThat(meta().get("bob").oldest()).as("the five oldest went as the newest came").isEqualTo(6);
        assertThat(InboxPages.read(meta(), entries(), "bob", 2L, null, 1, Long.MAX_VALUE).gap())
                .isEqualTo(new InboxPage.Gap(3, 5, Retention.TRIMMED));

        ops.pipeInput("bob", new InboxOp.Ack("phone", 10));
        driver.advanceWallClockTime(Duration.ofHours(23));
        retentionRounds();
        assertThat(meta().get("bob").oldest()).as("acked, but kept a day").isEqualTo(6);
        driver.advanceWallClockTime(Duration.ofHours(2));
        retentionRounds();
        assertThat(meta().get("bob").oldest()).isEqualTo(11);
        assertThat(InboxPages.read(meta(), entries(), "bob", 0L, null, 1, Long.MAX_VALUE).gap())
                .as("the reason of the latest range").isEqualTo(new InboxPage.Gap(1, 10, Retention.ACKED));
        relay();
        assertThat(noticesOf("alice", Entry.Kind.UNDELIVERED)).as("m-1..m-5 were never received")
                .flatExtracting(e -> Json.read(e.body(), Entry.Undelivered.class).messages())
                .extracting(ServerFrame.Undelivered.Item::id).containsExactly("m-1", "m-2", "m-3", "m-4", "m-5");
    }

    @Test
    void aPageHoldsEntriesUpToTheBytesAskedForButAlwaysOne() {
        connect("bob", "phone", "delivery-a", "c1");
        for (int i = 1; i <= 10; i++) {
            send("alice", "phone", "m-" + i, "bob", "x".repeat(1000), T0);
        }
        InboxPage all = InboxPages.read(meta(), entries(), "bob", 0L, null, 100, Long.MAX_VALUE);
        assertThat(all.entries()).hasSize(10);
        long one = all.entries().get(0).encode().length;
        assertThat(InboxPages.read(meta(), entries(), "bob", 0L, null, 100, 3 * one + one / 2).entries())
                .extracting(Entry::seq).containsExactly(1L, 2L, 3L);
        assertThat(InboxPages.read(meta(), entries(), "bob", 4L, null, 100, 1).entries())
                .as("one entry even when it is larger than asked").extracting(Entry::seq).containsExactly(5L);
    }

    @Test
    void acksAndReadMarkersSendReceiptsToTheSendersAggregatedPerMessage() {
        connect("bob", "phone", "delivery-a", "c1");
        connect("bob", "laptop", "delivery-a", "c2");
        send("alice", "phone", "m-1", "bob", "x", T0);
        send("alice", "phone", "m-2", "bob", "x", T0);
        send("carol", "phone", "c-1", "bob", "x", T0);
        clearNotices();

        ops.pipeInput("bob", new InboxOp.Ack("phone", 3));
        relay();
        assertThat(receipts("alice")).containsExactly(new ServerFrame.Receipt.Item("m-1", "bob", 1, 2),
                new ServerFrame.Receipt.Item("m-2", "bob", 1, 2));
        assertThat(receipts("carol")).containsExactly(new ServerFrame.Receipt.Item("c-1", "bob", 1, 2));

        ops.pipeInput("bob", new InboxOp.Ack("laptop", 1));
        ops.pipeInput("bob", new InboxOp.Ack("laptop", 1)); // no move, no receipt
        relay();
        assertThat(receipts("alice")).as("the laptop's receipt is another receipt than the phone's")
                .containsExactly(new ServerFrame.Receipt.Item("m-1", "bob", 2, 2));

        ops.pipeInput("bob", new InboxOp.Ack("phone", 2, true, 0, 0));
        ops.pipeInput("bob", new InboxOp.Ack("laptop", 2, true, 0, 0)); // already read on the phone
        relay();
        List<Entry> read = noticesOf("alice", Entry.Kind.RECEIPT);
        assertThat(read).hasSize(1);
        assertThat(read.get(0).from()).isEqualTo("bob");
        Entry.Receipt r = Json.read(read.get(0).body(), Entry.Receipt.class);
        assertThat(r.status()).isEqualTo(ServerFrame.Receipt.Status.READ);
        assertThat(r.messages()).extracting(ServerFrame.Receipt.Item::id).containsExactly("m-1", "m-2");

        // entries a device skipped (newest-first catch-up) are not reported delivered
        send("alice", "phone", "m-3", "bob", "x", T0);
        send("alice", "phone", "m-4", "bob", "x", T0);
        clearNotices();
        ops.pipeInput("bob", new InboxOp.Ack("laptop", 5, false, 3, 4));
        relay();
        assertThat(receipts("alice")).extracting(ServerFrame.Receipt.Item::id)
                .as("m-2 (seq 2) was delivered before; m-3 (seq 4) was skipped").containsExactly("m-2", "m-4");
        // bob's inbox holds only messages: receipts go to the senders' inboxes
        assertThat(page("bob", 0).entries()).allMatch(Entry::isMessage);
    }

    @Test
    void aNoticeRelayedTwiceIsAppendedOnce() {
        connect("bob", "phone", "delivery-a", "c1");
        send("alice", "phone", "m-1", "bob", "x", T0);
        ops.pipeInput("bob", new InboxOp.Ack("phone", 1));
        List<KeyValue<String, InboxOp>> notices = outbox.readKeyValuesToList();
        assertThat(notices).hasSize(1);
        for (int copy = 0; copy < 2; copy++) { // the relay crashed after copying, before committing
            ops.pipeInput(notices.get(0).key, notices.get(0).value);
        }
        assertThat(page("alice", 0).entries()).extracting(Entry::kind).containsExactly(Entry.Kind.MESSAGE, Entry.Kind.RECEIPT);
    }

    @Test
    void recordsThisBuildCannotReadGoToTheDeadLettersWithTheReasonAndTrafficGoesOn() {
        TestInputTopic<String, byte[]> raw = driver.createInputTopic(Topics.INBOX_OPS.name(), new StringSerializer(),
                new ByteArraySerializer());
        TestOutputTopic<String, byte[]> dead = driver.createOutputTopic(Topics.DEAD_LETTERS.name(),
                Topics.DEAD_LETTERS.keySerde().deserializer(), Topics.DEAD_LETTERS.valueSerde().deserializer());
        send("alice", "phone", "m-1", "bob", "before", T0);
        byte[] newer = {1, 9, 3, 'x'}; // an operation type of a newer build
        byte[] futureFormat = {2, 1, 0};
        byte[] corrupt = {1, 1, (byte) 0xFF, (byte) 0xFF};
        raw.pipeInput("bob", newer);
        raw.pipeInput("bob", futureFormat);
        raw.pipeInput("bob", corrupt);
        raw.pipeInput("bob", null);
        raw.pipeInput("not a user!", InboxOp.encode(new InboxOp.Remove("laptop")));
        // a newer build appended a field to an operation: this build reads what it knows
        byte[] withExtra = concat(InboxOp.encode(append(message("alice", "phone", "m-2", "bob", "after", false, T0))), new byte[] {7, 7, 7});
        raw.pipeInput("bob", withExtra);
        send("alice", "phone", "m-3", "bob", "after", T0);

        assertThat(page("bob", 0).entries()).extracting(Entry::id).containsExactly("m-1", "m-2", "m-3");
        List<TestRecord<String, byte[]>> letters = dead.readRecordsToList();
        assertThat(letters).extracting(TestRecord::key).containsExactly("bob", "bob", "bob", "bob", "not a user!");
        assertThat(letters.get(0).value()).isEqualTo(newer);
        assertThat(letters).extracting(r -> new String(r.headers().lastHeader(Outputs.REASON_HEADER).value(), StandardCharsets.UTF_8))
                .satisfiesExactly(
                        reason -> assertThat(reason).contains("unknown inbox operation type 9"),
                        reason -> assertThat(reason).contains("format version 2"),
                        reason -> assertThat(reason).contains("ends early"),
                        reason -> assertThat(reason).contains("no value"),
                        reason -> assertThat(reason).contains("not a user id"));
        assertThat(letters).allSatisfy(r -> assertThat(r.headers().lastHeader(Outputs.SOURCE_HEADER)).isNotNull());
    }

    @Test
    void housekeepingStopsWithinItsTimeBudgetAndResumesWhereItStopped() {
        driver.close();
        long[] nanos = {0};
        // every look at the clock costs 10 ms: a budget of 300 ms allows ~30 inboxes per check
        driver = driver(new RouterTopology.Settings(Duration.ofDays(7), Duration.ofMinutes(30),
                new Retention(Duration.ofDays(7), 1000, Duration.ofDays(1), Duration.ofMinutes(1), 10_000, 100_000),
                Duration.ofMillis(300), () -> nanos[0] += 10_000_000, 16));
        int users = 300;
        for (int u = 0; u < users; u++) {
            connect("u" + u, "phone", "delivery-a", "c" + u, T0);
        }
        driver.advanceWallClockTime(Duration.ofHours(1)); // every session is stale now
        int checks = 0;
        while (countLive(users) > 0 && checks < 100) {
            long before = countLive(users);
            driver.advanceWallClockTime(RETENTION.checkInterval());
            checks++;
            assertThat(before - countLive(users)).as("one check expires at most what fits its budget").isLessThanOrEqualTo(31);
        }
        assertThat(countLive(users)).isZero();
        assertThat(checks).as("resumed where it stopped, so ~10 checks did it").isBetween(9, 12);
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

    private long countLive(int users) {
        long n = 0;
        for (int u = 0; u < users; u++) {
            n += meta().get("u" + u).live().size();
        }
        return n;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    static String text(Entry e) {
        return Json.read(e.body(), String.class);
    }

    static Entry message(String from, String device, String id, String to, String text, boolean own, Instant at) {
        return Entry.message(id, from, device, to, at.toEpochMilli(), own, Json.writeBytes(text));
    }

    static InboxOp.Append append(Entry e) {
        return new InboxOp.Append(e);
    }

    /** What the gateway writes for a 1:1 send: the recipient's copy and the sender's own. */
    void send(String from, String device, String id, String to, String text, Instant at) {
        if (!to.equals(from)) {
            ops.pipeInput(to, append(message(from, device, id, to, text, false, at)), at);
        }
        ops.pipeInput(from, append(message(from, device, id, to, text, true, at)), at);
    }

    /** What the outbox relay does: the router's notices become operations of the inboxes they are for. */
    void relay() {
        for (TestRecord<String, InboxOp> r : outbox.readRecordsToList()) {
            ops.pipeInput(r.key(), r.value(), r.timestamp());
        }
    }

    void connect(String user, String device, String instance, String connection) {
        connect(user, device, instance, connection, T0);
    }

    void connect(String user, String device, String instance, String connection, Instant at) {
        ops.pipeInput(user, new InboxOp.Connect(device, instance, connection, null), at);
    }

    void lease(String instance, Instant since, Instant at) {
        ops.pipeInput((String) null, new InboxOp.Lease(instance, since.toEpochMilli()), at);
    }

    void disconnect(String user, String device, String connection) {
        ops.pipeInput(user, new InboxOp.Disconnect(device, connection));
    }

    private void retentionRounds() {
        for (int i = 0; i < 4; i++) {
            driver.advanceWallClockTime(RETENTION.checkInterval());
        }
    }

    private List<KeyValue<String, Push>> closes() {
        return push.readKeyValuesToList().stream().filter(kv -> kv.value instanceof Push.Close).toList();
    }

    private static Push close(String connection, Push.Close.Reason reason) {
        return new Push.Close("bob", "laptop", connection, reason);
    }

    KeyValueStore<String, InboxMeta> meta() {
        return driver.getKeyValueStore(RouterTopology.META_STORE);
    }

    KeyValueStore<byte[], byte[]> entries() {
        return driver.getKeyValueStore(RouterTopology.INBOX_STORE);
    }

    /** Notice entries in a user's inbox not seen by an earlier call. */
    private final Map<String, Long> noticesSeen = new HashMap<>();

    private List<Entry> noticesOf(String user, Entry.Kind kind) {
        long after = noticesSeen.getOrDefault(user, 0L);
        List<Entry> all = page(user, after).entries();
        if (!all.isEmpty()) {
            noticesSeen.put(user, all.get(all.size() - 1).seq());
        }
        return all.stream().filter(e -> e.kind() == kind).toList();
    }

    private List<ServerFrame.Receipt.Item> receipts(String user) {
        return noticesOf(user, Entry.Kind.RECEIPT).stream()
                .flatMap(e -> Json.read(e.body(), Entry.Receipt.class).messages().stream()).toList();
    }

    private void clearNotices() {
        relay();
        for (String user : List.of("alice", "carol", "dave")) {
            noticesOf(user, Entry.Kind.MESSAGE);
        }
    }

    private long epochOf(String user) {
        return meta().get(user).epoch();
    }

    InboxPage page(String user, long after) {
        return InboxPages.read(meta(), entries(), user, after, null, 10_000, Long.MAX_VALUE);
    }
}
