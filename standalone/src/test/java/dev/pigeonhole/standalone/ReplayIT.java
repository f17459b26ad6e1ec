package dev.pigeonhole.standalone;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pigeonhole.protocol.ServerFrame;
import dev.pigeonhole.records.Entry;
import dev.pigeonhole.records.InboxPage;
import dev.pigeonhole.records.Topics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;

/**
 * Devices read the router's state before it is committed — live pushes are read uncommitted and pages come straight
 * from the stores — so a replay must take the same decisions: after a crash, and after a paused router (a zombie)
 * is fenced, every seq still names the same message, the epoch is unchanged, nothing is lost, duplicated or
 * reordered (router-streams/DESIGN.md, "the one rule").
 */
class ReplayIT {
    private static final Duration WAIT = Duration.ofSeconds(90);

    @Test
    void aCrashAfterDevicesReadUncommittedStateReplaysTheSameSeqsIdsAndEpochs() {
        try (Cluster cluster = Cluster.start("replay-it")) {
            // Nothing commits while the test runs: everything the devices read below is uncommitted.
            ServiceProcess router = cluster.router("router", Map.of(
                    "pigeonhole.router.commit-interval-ms", "600000",
                    "kafka-streams.producer.transaction.timeout.ms", "600000"));
            ServiceProcess gateway = cluster.gateway("gateway");
            ServiceProcess delivery = cluster.delivery("delivery-0", router);
            Cluster.startAll(router, gateway, delivery);

            int n = 300;
            List<String> ids = IntStream.rangeClosed(1, n).mapToObj(i -> "k-" + i).toList();
            Map<Long, String> bobSaw;
            long epoch;
            Map<Long, String> carolRead;
            try (TestInbox bob = new TestInbox(delivery.ws(""), "bob", "phone", "", true);
                 TestSender alice = new TestSender(gateway.ws(""), "alice", "phone")) {
                epoch = bob.awaitCaughtUp(WAIT).epoch();
                for (int i = 0; i < n; i++) {
                    alice.send(ids.get(i), i % 3 == 0 ? "carol" : "bob", OfflineDeliveryIT.body(i));
                }
                alice.awaitReplies(ids, 1, WAIT);
                assertThat(ids).allMatch(id -> alice.replies(id).get(0) instanceof ServerFrame.Accepted);
                bob.awaitMessages(n - n / 3, WAIT);
                bobSaw = seqToId(bob.messages());
                carolRead = awaitPage(router, "carol", n / 3);
            }
            assertThat(committedPushes(cluster)).as("what bob saw was never committed").isZero();

            router.kill();
            router.start().awaitReady(WAIT);

            try (TestInbox bob = new TestInbox(delivery.ws(""), "bob", "phone", "after=0&window=1024&epoch=" + epoch, true);
                 TestSender alice = new TestSender(gateway.ws(""), "alice", "phone")) {
                bob.awaitMessages(bobSaw.size(), WAIT);
                assertThat(bob.closed()).as("same epoch: no resync").isNotDone();
                assertThat(seqToId(bob.messages())).as("every seq names the message it named before the crash")
                        .isEqualTo(bobSaw);
                assertThat(awaitPage(router, "carol", n / 3)).isEqualTo(carolRead);

                alice.send("k-2", "bob", OfflineDeliveryIT.body(2)); // a resend of a message accepted before the crash
                alice.send("k-new", "bob", OfflineDeliveryIT.body(0));
                alice.awaitReplies(List.of("k-2", "k-new"), 1, WAIT);
                bob.awaitMessages(bobSaw.size() + 1, WAIT);
                ServiceProcess.sleep(500);
                assertThat(bob.messages()).hasSize(bobSaw.size() + 1).last()
                        .satisfies(m -> assertThat(m.id()).isEqualTo("k-new"))
                        .satisfies(m -> assertThat(m.seq()).isEqualTo(bobSaw.size() + 1));
            }
        }
    }

    @Test
    void aPausedRouterIsFencedWhenItWakesAndLosesDuplicatesAndReordersNothing() throws Exception {
        try (Cluster cluster = Cluster.start("zombie-it")) {
            ServiceProcess zombie = cluster.router("router-a");
            ServiceProcess survivor = cluster.router("router-b");
            ServiceProcess gateway = cluster.gateway("gateway");
            ServiceProcess delivery = cluster.delivery("delivery-0", survivor);
            Cluster.startAll(zombie, survivor, gateway, delivery);

            String bob = ownedBy(zombie, "bob");
            String alice = ownedBy(zombie, "alice");
            int n = 400;
            List<String> ids = IntStream.rangeClosed(1, n).mapToObj(i -> "z-" + i).toList();
            try (TestInbox inbox = new TestInbox(delivery.ws(""), bob, "phone", "window=1024", true);
                 TestSender sender = new TestSender(gateway.ws(""), alice, "phone")) {
                inbox.awaitCaughtUp(WAIT);
                CompletableFuture<Void> pauses = null;
                for (int i = 1; i <= n; i++) {
                    sender.send(ids.get(i - 1), bob, OfflineDeliveryIT.body(i));
                    if (i == 100) {
                        // frozen past the session timeout (10 s): the group moves its tasks to router-b
                        pauses = CompletableFuture.runAsync(() -> {
                            zombie.pause();
                            ServiceProcess.sleep(15_000);
                            zombie.resume();
                        });
                    }
                    ServiceProcess.sleep(30);
                }
                sender.awaitReplies(ids, 1, WAIT);
                assertThat(ids).allMatch(id -> sender.replies(id).equals(List.of(new ServerFrame.Accepted(id))));
                pauses.join();
                inbox.awaitMessages(n, WAIT);
                ServiceProcess.sleep(2000); // a zombie's late pushes would show up now
                assertThat(inbox.seqs()).containsExactlyElementsOf(OfflineDeliveryIT.range(1, n));
                assertThat(inbox.messages()).extracting(ServerFrame.Message::id).containsExactlyElementsOf(ids);
                assertThat(inbox.closed()).as("the device's connection stayed up").isNotDone();
            }
            // the woken router is fenced and rejoins; the inbox it owned before answers the same history
            survivor.awaitStored(bob, n, WAIT);
            InboxPage page = survivor.page(bob, "after=0&limit=1000");
            assertThat(page.entries()).extracting(Entry::id).containsExactlyElementsOf(ids);
        }
    }

    /** A user id starting with {@code prefix} whose inbox lives on {@code router}. */
    private static String ownedBy(ServiceProcess router, String prefix) {
        for (int i = 0; i < 100; i++) {
            String user = prefix + "-" + i;
            if (router.page(user, "local=true&after=0&limit=1") != null) {
                return user;
            }
        }
        throw new AssertionError(router + " owns none of 100 users");
    }

    private static Map<Long, String> seqToId(List<ServerFrame.Message> messages) {
        return messages.stream().collect(Collectors.toMap(ServerFrame.Message::seq, ServerFrame.Message::id,
                (a, b) -> { throw new AssertionError("seq delivered twice"); }, LinkedHashMap::new));
    }

    private static Map<Long, String> awaitPage(ServiceProcess router, String user, int count) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            InboxPage page = router.page(user, "after=0&limit=1000");
            if (page != null && page.entries().size() >= count) {
                Map<Long, String> out = new LinkedHashMap<>();
                page.entries().forEach(e -> out.put(e.seq(), e.id()));
                return out;
            }
            ServiceProcess.sleep(100);
        }
        throw new AssertionError(user + "'s inbox did not reach " + count + " entries");
    }

    /** Records a read_committed reader finds in the push topic. */
    private static int committedPushes(Cluster cluster) {
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"), new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = new ArrayList<>();
            for (int p = 0; p < Cluster.PUSH_PARTITIONS; p++) {
                partitions.add(new TopicPartition(Topics.PUSH.name(), p));
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            int count = 0;
            long deadline = System.nanoTime() + Duration.ofSeconds(3).toNanos();
            while (System.nanoTime() < deadline) {
                count += consumer.poll(Duration.ofMillis(200)).count();
            }
            return count;
        }
    }
}
