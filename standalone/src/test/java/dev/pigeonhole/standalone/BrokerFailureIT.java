package dev.pigeonhole.standalone;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pigeonhole.client.ClientOptions;
import dev.pigeonhole.client.Outgoing;
import dev.pigeonhole.client.PigeonholeClient;
import dev.pigeonhole.client.SendState;
import dev.pigeonhole.protocol.ServerFrame;
import dev.pigeonhole.records.Topics;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.TopicDescription;
import org.junit.jupiter.api.Test;

/**
 * Three brokers (KRaft quorum of three, every topic replicated 3 times with {@code min.insync.replicas} 2), each in
 * its own JVM. Two are killed (SIGKILL) one after the other while a client sends. The first is the leader of the
 * recipient's inbox partition: until it is fenced, sends pile up behind the ones the gateway answered
 * {@code unavailable}, and none may overtake them. With one left no write can be acknowledged, so the gateway
 * answers {@code unavailable} — never {@code accepted} — and the client keeps the messages; once the brokers are back
 * every message is delivered once, in order.
 */
class BrokerFailureIT {
    private static final Duration WAIT = Duration.ofSeconds(120);

    @Test
    void losingTwoOfThreeBrokersMidTrafficLosesDuplicatesAndReordersNothing() throws Exception {
        try (Cluster cluster = Cluster.startWithBrokers("broker-failure-it", 3)) {
            Map<String, String> replicated = Map.of("pigeonhole.router.replication-factor", "3",
                    "pigeonhole.router.min-insync-replicas", "2");
            ServiceProcess router = cluster.router("bf-router", replicated);
            ServiceProcess gateway = cluster.gateway("bf-gateway", Map.of("pigeonhole.auth.dev-identity", "true",
                    "pigeonhole.gateway.send-timeout", "PT2S"));
            ServiceProcess delivery = cluster.delivery("bf-delivery", router);
            Cluster.startAll(router, gateway, delivery);

            Path data = Files.createTempDirectory("broker-failure-clients");
            int bobsLeader = leaderOfInbox(cluster, "bf-bob");
            int other = bobsLeader % 3 + 1;
            int n = 450;
            Recorder bobSaw = new Recorder();
            try (PigeonholeClient alice = PigeonholeClient.start(ClientOptions.builder(URI.create(gateway.ws("")), "bf-alice",
                    "phone").dataDir(data.resolve("alice")).build(), new Recorder());
                 PigeonholeClient bob = PigeonholeClient.start(ClientOptions.builder(URI.create(delivery.ws("")), "bf-bob",
                         "phone").dataDir(data.resolve("bob")).window(1024).build(), bobSaw)) {
                List<Outgoing> sent = new ArrayList<>();
                long outageStart = 0;
                long outageEnd = 0;
                for (int i = 0; i < n; i++) {
                    sent.add(alice.sendText("bf-bob", "m" + i));
                    if (i == 60) {
                        // the leader of Bob's inbox: its writes wait until another node leads the partition (seconds,
                        // longer than the 2 s send timeout): early ones are answered unavailable, later ones queue behind
                        cluster.broker(bobsLeader).kill();
                    }
                    if (i == 360) { // 12 s later
                        cluster.broker(other).kill(); // one left: min.insync.replicas 2 cannot be met
                        outageStart = System.nanoTime();
                    }
                    if (i == 400) {
                        ServiceProcess.sleep(8_000); // longer than the gateway's send timeout (2 s): unavailable answers
                        assertThat(sent.subList(361, 400)).as("nothing accepted while writes cannot be replicated")
                                .noneMatch(m -> m.state() == SendState.ACCEPTED);
                        cluster.broker(bobsLeader).start();
                        cluster.broker(other).start();
                        outageEnd = System.nanoTime();
                    }
                    ServiceProcess.sleep(40);
                }
                for (Outgoing m : sent) {
                    m.settled().toCompletableFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS);
                }
                assertThat(sent).allMatch(m -> m.state() == SendState.ACCEPTED);
                long deadline = System.nanoTime() + WAIT.toNanos();
                while (bobSaw.from("bf-alice").size() < n && System.nanoTime() < deadline) {
                    ServiceProcess.sleep(100);
                }
                ServiceProcess.sleep(1000);
                List<String> expected = IntStream.range(0, n).mapToObj(i -> "m" + i).toList();
                List<String> texts = bobSaw.from("bf-alice").stream().map(m -> m.text()).toList();
                // Where it went wrong, if it did: what Bob got, and the order the gateway wrote Bob's copies in.
                String written = texts.equals(expected) ? "" : "; inbox-ops (first copies): " + writtenOrder(cluster, sent);
                assertThat(texts).as(bobSaw.describe("bf-alice") + written).containsExactlyElementsOf(expected);
                double unavailable = gateway.metric("pigeonhole_gateway_sends_total{code=\"unavailable\",result=\"rejected\"}");
                assertThat(unavailable).as("the gateway told the client what it could not store").isPositive();
                System.out.printf("BrokerFailureIT: %d sent, all accepted and delivered once and in order; %.0f sends"
                        + " answered unavailable meanwhile (resent by the SDK); one broker of three for %.1f s%n", n,
                        unavailable, (outageEnd - outageStart) / 1e9);
            } finally {
                TestFiles.delete(data);
            }
        }
    }

    /**
     * The order in which Bob's copies were written to {@code pigeonhole-inbox-ops} (first copy of each message), as
     * runs of consecutive message numbers, with the count of later copies (resends) after them.
     */
    private static String writtenOrder(Cluster cluster, List<Outgoing> sent) {
        Map<String, Integer> number = new java.util.HashMap<>();
        for (int i = 0; i < sent.size(); i++) {
            number.put(sent.get(i).id(), i);
        }
        List<Integer> order = new ArrayList<>();
        java.util.Set<Integer> seen = new java.util.HashSet<>();
        int copies = 0;
        try (var consumer = new org.apache.kafka.clients.consumer.KafkaConsumer<>(Map.<String, Object>of(
                "bootstrap.servers", cluster.bootstrapServers(), "auto.offset.reset", "earliest",
                "isolation.level", "read_committed"), new org.apache.kafka.common.serialization.StringDeserializer(),
                new org.apache.kafka.common.serialization.ByteArrayDeserializer())) {
            int partitions = consumer.partitionsFor(Topics.INBOX_OPS.name()).size();
            var tp = new org.apache.kafka.common.TopicPartition(Topics.INBOX_OPS.name(),
                    Topics.partitionOf("bf-bob", partitions));
            consumer.assign(List.of(tp));
            long end = consumer.endOffsets(List.of(tp)).get(tp);
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (consumer.position(tp) < end && System.nanoTime() < deadline) {
                for (var r : consumer.poll(Duration.ofMillis(500))) {
                    if ("bf-bob".equals(r.key())
                            && dev.pigeonhole.records.InboxOp.decode(r.value()) instanceof dev.pigeonhole.records.InboxOp.Append a
                            && number.containsKey(a.entry().id())) {
                        copies++;
                        if (seen.add(number.get(a.entry().id()))) {
                            order.add(number.get(a.entry().id()));
                        }
                    }
                }
            }
        } catch (RuntimeException e) {
            return "unreadable: " + e;
        }
        StringBuilder out = new StringBuilder();
        for (int i = 0, start = 0; i < order.size(); i++) {
            if (i + 1 == order.size() || order.get(i + 1) != order.get(i) + 1) {
                out.append('m').append(order.get(start)).append("..m").append(order.get(i)).append(' ');
                start = i + 1;
            }
        }
        return out.append("(").append(order.size()).append(" messages, ").append(copies).append(" copies)").toString();
    }

    /** The node (1..3) leading the partition of {@code pigeonhole-inbox-ops} that holds {@code user}'s inbox. */
    private static int leaderOfInbox(Cluster cluster, String user) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers()))) {
            TopicDescription topic = admin.describeTopics(List.of(Topics.INBOX_OPS.name())).allTopicNames()
                    .get(30, TimeUnit.SECONDS).get(Topics.INBOX_OPS.name());
            return topic.partitions().get(Topics.partitionOf(user, topic.partitions().size())).leader().id();
        }
    }
}
