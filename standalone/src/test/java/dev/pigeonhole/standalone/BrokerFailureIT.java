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
                assertThat(bobSaw.from("bf-alice")).extracting(m -> m.body().get("text").asText())
                        .containsExactlyElementsOf(IntStream.range(0, n).mapToObj(i -> "m" + i).toList());
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

    /** The node (1..3) leading the partition of {@code pigeonhole-inbox-ops} that holds {@code user}'s inbox. */
    private static int leaderOfInbox(Cluster cluster, String user) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers()))) {
            TopicDescription topic = admin.describeTopics(List.of(Topics.INBOX_OPS.name())).allTopicNames()
                    .get(30, TimeUnit.SECONDS).get(Topics.INBOX_OPS.name());
            return topic.partitions().get(Topics.partitionOf(user, topic.partitions().size())).leader().id();
        }
    }
}
