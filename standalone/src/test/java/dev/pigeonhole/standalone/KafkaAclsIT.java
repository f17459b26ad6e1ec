package dev.pigeonhole.standalone;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.pigeonhole.protocol.ServerFrame;
import dev.pigeonhole.records.KafkaAcls;
import dev.pigeonhole.records.KafkaAcls.Service;
import dev.pigeonhole.records.Topic;
import dev.pigeonhole.records.Topics;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.GroupListing;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.utils.Time;
import org.junit.jupiter.api.Test;

/**
 * Production Kafka security end to end: a broker that authenticates every client (SASL/SCRAM-SHA-512) and authorizes
 * every request (KRaft's StandardAuthorizer, nothing allowed without an ACL), users gateway, router and delivery with
 * exactly the ACLs of {@link KafkaAcls}, the topics created beforehand by an admin (as Strimzi's topic operator would)
 * under a non-default prefix, and each service in its own JVM with its own credentials from the environment variables
 * the chart sets. A send to an offline user is delivered on connect, in order, and the sender gets the receipts of the
 * recipient's acks; the ACLs are least privilege (delivery may neither write push nor read inbox-ops).
 */
class KafkaAclsIT {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final String PREFIX = "acme-";
    private static final int MESSAGES = 30;

    @Test
    void servicesWithTheirOwnCredentialsAndOnlyTheirAclsCarryMessagesEndToEnd() throws Exception {
        Path root = Files.createTempDirectory("pigeonhole-kafka-acls-it");
        try (SecureBroker broker = SecureBroker.start(root.resolve("kafka"))) {
            try (Admin admin = Admin.create(broker.client("admin"))) {
                setUp(admin);
            }
            Map<String, String> common = Map.of("kafka.bootstrap.servers", broker.bootstrap());
            Map<String, String> routerConfig = new HashMap<>(common);
            routerConfig.put("pigeonhole.router.state-dir", root.resolve("router").toString());
            routerConfig.put("pigeonhole.router.advertised-host", "127.0.0.1");
            routerConfig.put("pigeonhole.router.partitions", Integer.toString(Cluster.PARTITIONS));
            routerConfig.put("pigeonhole.router.push-partitions", Integer.toString(Cluster.PUSH_PARTITIONS));
            ServiceProcess router = ServiceProcess.service("router-streams", "acls-router", EmbeddedKafka.freePort(),
                    routerConfig).env(credentials("router"));
            Map<String, String> gatewayConfig = new HashMap<>(common);
            gatewayConfig.put("pigeonhole.auth.dev-identity", "true");
            ServiceProcess gateway = ServiceProcess.service("gateway", "acls-gateway", EmbeddedKafka.freePort(),
                    gatewayConfig).env(credentials("gateway"));
            Map<String, String> deliveryConfig = new HashMap<>(common);
            deliveryConfig.put("pigeonhole.auth.dev-identity", "true");
            deliveryConfig.put("pigeonhole.delivery.instance-id", "acls-delivery");
            deliveryConfig.put("pigeonhole.delivery.router-url", router.http(""));
            ServiceProcess delivery = ServiceProcess.service("delivery", "acls-delivery", EmbeddedKafka.freePort(),
                    deliveryConfig).env(credentials("delivery"));
            try (Admin asRouter = Admin.create(broker.client("router"))) {
                // the router's user may not create the shared topics: without them it waits, then says why
                List<Topic<?, ?>> topics = Topics.ALL.stream().<Topic<?, ?>>map(t -> new Topic<>(Topics.name(PREFIX, t),
                        t.keySerde(), t.valueSerde(), t.config(), t.copartitioned())).toList();
                Throwable refused = catchThrowable(() -> Topics.ensure(asRouter, topics, Cluster.PARTITIONS,
                        Cluster.PUSH_PARTITIONS, (short) 1, 1, Duration.ofSeconds(2)));
                assertThat(refused).isInstanceOf(IllegalStateException.class).hasMessageContaining("may not create them")
                        .hasRootCauseInstanceOf(TopicAuthorizationException.class);
            }
            try (router; gateway; delivery) {
                long mark = gateway.logLength(); // the log is appended over runs
                router.start();
                gateway.start();
                delivery.start();
                // the topics appear while the services start, as when Strimzi's topic operator is slower than the
                // pods: the router may not create them (no Create), the others wait for them
                awaitLog(gateway, mark, "waiting for topic " + Topics.name(PREFIX, Topics.GROUPS));
                try (Admin admin = Admin.create(broker.client("admin"))) {
                    createTopics(admin);
                }
                for (ServiceProcess s : List.of(router, gateway, delivery)) {
                    s.awaitReady(Duration.ofSeconds(120));
                }
                carriesMessagesAndReceipts(router, gateway, delivery);
                // the gateway writes the groups topic (a group exists once Kafka acknowledged it)
                HttpResponse<String> created = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                                URI.create(gateway.http("/v1/groups?user=alice&device=phone")))
                        .POST(HttpRequest.BodyPublishers.ofString("{\"id\":\"team\",\"members\":[\"bob\"]}")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
                try (Admin admin = Admin.create(broker.client("admin"))) {
                    // the prefix reached Kafka Streams: its group and changelogs are the release's own
                    assertThat(admin.listGroups().all().get(30, TimeUnit.SECONDS)).extracting(GroupListing::groupId)
                            .contains(PREFIX + "router-v2", PREFIX + "router-v2-outbox-relay")
                            .allMatch(g -> g.startsWith(PREFIX));
                    assertThat(admin.listTopics().names().get(30, TimeUnit.SECONDS))
                            .allMatch(t -> t.startsWith(PREFIX), "every topic has the prefix")
                            .anyMatch(t -> t.startsWith(PREFIX + "router-v2-") && t.endsWith("-changelog"));
                }
            }
            assertLeastPrivilege(broker);
        } finally {
            TestFiles.delete(root);
        }
    }

    /** The shared topics, as the chart's KafkaTopics create them. */
    private static void createTopics(Admin admin) throws Exception {
        List<NewTopic> topics = new ArrayList<>();
        for (Topic<?, ?> t : Topics.ALL) {
            int partitions = t == Topics.PUSH ? Cluster.PUSH_PARTITIONS : t == Topics.DEAD_LETTERS ? 1 : Cluster.PARTITIONS;
            topics.add(new NewTopic(Topics.name(PREFIX, t), partitions, (short) 1).configs(t.config()));
        }
        admin.createTopics(topics).all().get(30, TimeUnit.SECONDS);
    }

    private static void awaitLog(ServiceProcess service, long mark, String line) {
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (!service.logSince(mark).contains(line)) {
            assertThat(System.nanoTime()).as(service + " logs '" + line + "'").isLessThan(deadline);
            ServiceProcess.sleep(100);
        }
    }

    /** Users and ACLs, as the chart's Strimzi KafkaUsers create them. */
    private static void setUp(Admin admin) throws Exception {
        List<UserScramCredentialUpsertion> users = new ArrayList<>();
        List<AclBinding> acls = new ArrayList<>();
        for (Service service : Service.values()) {
            String user = user(service);
            users.add(new UserScramCredentialUpsertion(user, new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 8192),
                    password(user)));
            acls.addAll(KafkaAcls.bindings("User:" + user, service, PREFIX, false));
        }
        admin.alterUserScramCredentials(List.copyOf(users)).all().get(30, TimeUnit.SECONDS);
        admin.createAcls(acls).all().get(30, TimeUnit.SECONDS);
        // credentials and ACLs reach the broker through the metadata log: wait until it authenticates every user
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (admin.describeUserScramCredentials().all().get(30, TimeUnit.SECONDS).size() < Service.values().length) {
            assertThat(System.nanoTime()).as("SCRAM users visible").isLessThan(deadline);
            ServiceProcess.sleep(100);
        }
    }

    private static void carriesMessagesAndReceipts(ServiceProcess router, ServiceProcess gateway, ServiceProcess delivery) {
        try (TestInbox alice = new TestInbox(delivery.ws(""), "alice", "phone", "after=0", true);
             TestSender sender = new TestSender(gateway.ws(""), "alice", "phone")) {
            alice.awaitCaughtUp(WAIT);
            List<String> ids = IntStream.range(0, MESSAGES).mapToObj(i -> "m-" + i).toList();
            for (int i = 0; i < MESSAGES; i++) {
                sender.send(ids.get(i), "bob", "{\"i\":" + i + "}");
            }
            sender.awaitReplies(ids, 1, WAIT);
            assertThat(ids).allMatch(id -> sender.replies(id).get(0) instanceof ServerFrame.Accepted, "every send accepted");
            router.awaitStored("bob", MESSAGES, WAIT); // bob was offline: stored, not pushed

            try (TestInbox bob = new TestInbox(delivery.ws(""), "bob", "laptop", "after=0", true)) {
                assertThat(bob.awaitCaughtUp(WAIT).seq()).isEqualTo(MESSAGES);
                assertThat(bob.seqs()).containsExactlyElementsOf(OfflineDeliveryIT.range(1, MESSAGES));
                assertThat(bob.messages()).extracting(ServerFrame.Message::id).containsExactlyElementsOf(ids);
                router.awaitCursor("bob", "laptop", MESSAGES, WAIT);

                // a live one, through the push topic
                sender.send("live", "bob", "{\"live\":true}");
                assertThat(sender.awaitReply("live", WAIT)).isInstanceOf(ServerFrame.Accepted.class);
                bob.awaitMessages(MESSAGES + 1, WAIT);
                assertThat(bob.messages().get(MESSAGES).id()).isEqualTo("live");
                assertThat(bob.messages().get(MESSAGES).seq()).isEqualTo(MESSAGES + 1L);

                // bob's acks come back to alice as receipts: router outbox, relay, inbox-ops, push
                Set<String> receipted = new TreeSet<>();
                long deadline = System.nanoTime() + WAIT.toNanos();
                while (receipted.size() < MESSAGES + 1 && System.nanoTime() < deadline) {
                    for (ServerFrame f : alice.frames()) {
                        if (f instanceof ServerFrame.Receipt r && r.status() == ServerFrame.Receipt.Status.DELIVERED) {
                            r.messages().forEach(item -> receipted.add(item.id()));
                        }
                    }
                    ServiceProcess.sleep(20);
                }
                List<String> all = new ArrayList<>(ids);
                all.add("live");
                assertThat(receipted).as("delivered receipts").containsExactlyInAnyOrderElementsOf(all);
            }
        }
    }

    /** The delivery user may write inbox-ops and read push, nothing else; the gateway may not write push. */
    private static void assertLeastPrivilege(SecureBroker broker) {
        assertThat(write(broker, "delivery", Topics.name(PREFIX, Topics.PUSH))).isInstanceOf(TopicAuthorizationException.class);
        assertThat(write(broker, "gateway", Topics.name(PREFIX, Topics.PUSH))).isInstanceOf(TopicAuthorizationException.class);
        assertThat(write(broker, "delivery", Topics.name(PREFIX, Topics.INBOX_OPS))).as("delivery writes inbox-ops").isNull();
        assertThat(read(broker, "delivery", Topics.name(PREFIX, Topics.INBOX_OPS))).isInstanceOf(TopicAuthorizationException.class);
        assertThat(read(broker, "delivery", Topics.name(PREFIX, Topics.PUSH))).as("delivery reads push").isNull();
    }

    /** What writing one record as {@code user} failed with (its cause), or null. */
    private static Throwable write(SecureBroker broker, String user, String topic) {
        Map<String, Object> config = broker.client(user);
        config.put("max.block.ms", 10_000);
        config.put("delivery.timeout.ms", 10_000);
        config.put("request.timeout.ms", 5_000);
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(config, new ByteArraySerializer(),
                new ByteArraySerializer())) {
            Throwable t = catchThrowable(() -> producer.send(new ProducerRecord<>(topic, new byte[] {1})).get(20, TimeUnit.SECONDS));
            return t != null && t.getCause() != null ? t.getCause() : t;
        }
    }

    /**
     * What reading {@code topic} from its start as {@code user} (by assign, as the services do) failed with, or null
     * once a record was read.
     */
    private static Throwable read(SecureBroker broker, String user, String topic) {
        Map<String, Object> config = broker.client(user);
        config.put("auto.offset.reset", "earliest");
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(config, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            consumer.assign(consumer.partitionsFor(topic).stream().map(p -> new TopicPartition(topic, p.partition())).toList());
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (System.nanoTime() < deadline) {
                try {
                    if (!consumer.poll(Duration.ofMillis(200)).isEmpty()) {
                        return null;
                    }
                } catch (RuntimeException e) {
                    return e;
                }
            }
            throw new AssertionError(user + " neither read " + topic + " nor was refused");
        }
    }

    private static String user(Service service) {
        return service.name().toLowerCase(java.util.Locale.ROOT);
    }

    private static String password(String user) {
        return user + "-secret";
    }

    private static String jaas(String user) {
        return "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"" + user + "\" password=\""
                + password(user) + "\";";
    }

    /** The environment the chart gives a service: the prefix and its own Kafka credentials. */
    private static Map<String, String> credentials(String user) {
        return Map.of(
                "PIGEONHOLE_TOPIC_PREFIX", PREFIX,
                "KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT",
                "KAFKA_SASL_MECHANISM", "SCRAM-SHA-512",
                "KAFKA_SASL_JAAS_CONFIG", jaas(user));
    }

    /**
     * One KRaft node in this JVM: clients (and the broker itself, inter-broker) authenticate with SCRAM-SHA-512 on
     * loopback; the controller listener uses PLAIN (KRaft cannot use SCRAM there: credentials live in the metadata
     * log the controller serves). Super users: {@code admin} (setup only; its credential is written when the log is
     * formatted) and {@code controller}.
     */
    private static final class SecureBroker implements AutoCloseable {
        private final KafkaRaftServer server;
        private final int port;

        private SecureBroker(KafkaRaftServer server, int port) {
            this.server = server;
            this.port = port;
        }

        static SecureBroker start(Path dir) {
            try {
                Files.createDirectories(dir);
                int port = EmbeddedKafka.freePort();
                int controllerPort = EmbeddedKafka.freePort();
                Properties props = new Properties();
                props.put("process.roles", "broker,controller");
                props.put("node.id", "1");
                props.put("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
                props.put("listeners", "CLIENT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort);
                props.put("advertised.listeners", "CLIENT://127.0.0.1:" + port);
                props.put("listener.security.protocol.map", "CLIENT:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT");
                props.put("inter.broker.listener.name", "CLIENT");
                props.put("controller.listener.names", "CONTROLLER");
                props.put("sasl.enabled.mechanisms", "SCRAM-SHA-512");
                props.put("sasl.mechanism.inter.broker.protocol", "SCRAM-SHA-512");
                props.put("listener.name.client.scram-sha-512.sasl.jaas.config", jaas("admin"));
                props.put("listener.name.controller.sasl.enabled.mechanisms", "PLAIN");
                props.put("sasl.mechanism.controller.protocol", "PLAIN");
                props.put("listener.name.controller.plain.sasl.jaas.config",
                        "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"controller\" "
                                + "password=\"controller-secret\" user_controller=\"controller-secret\";");
                props.put("authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer");
                props.put("allow.everyone.if.no.acl.found", "false");
                props.put("super.users", "User:admin;User:controller");
                Path logs = dir.toAbsolutePath().resolve("logs");
                props.put("log.dirs", logs.toString());
                props.put("auto.create.topics.enable", "false");
                props.put("offsets.topic.replication.factor", "1");
                props.put("offsets.topic.num.partitions", "4");
                props.put("transaction.state.log.replication.factor", "1");
                props.put("transaction.state.log.min.isr", "1");
                props.put("transaction.state.log.num.partitions", "4");
                props.put("share.coordinator.state.topic.replication.factor", "1");
                props.put("share.coordinator.state.topic.min.isr", "1");
                props.put("group.initial.rebalance.delay.ms", "0");
                props.put("transaction.abort.timed.out.transaction.cleanup.interval.ms", "1000");
                props.put("add.partitions.to.txn.retry.backoff.max.ms", "1000");
                props.put("log.cleaner.dedupe.buffer.size", "4194304");
                Path config = dir.resolve("server.properties");
                try (OutputStream out = Files.newOutputStream(config)) {
                    props.store(out, "KafkaAclsIT");
                }
                ByteArrayOutputStream formatLog = new ByteArrayOutputStream();
                int rc = StorageTool.execute(new String[] {"format", "-t", Uuid.randomUuid().toString(), "-c",
                        config.toString(), "--add-scram", "SCRAM-SHA-512=[name=admin,password=" + password("admin") + "]"},
                        new PrintStream(formatLog, true, StandardCharsets.UTF_8));
                if (rc != 0) {
                    throw new IllegalStateException("cannot format " + dir + ": " + formatLog.toString(StandardCharsets.UTF_8));
                }
                KafkaRaftServer server = new KafkaRaftServer(KafkaConfig.fromProps(props, false), Time.SYSTEM);
                server.startup();
                return new SecureBroker(server, port);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        String bootstrap() {
            return "127.0.0.1:" + port;
        }

        /** Client settings that log in as {@code user}. */
        Map<String, Object> client(String user) {
            Map<String, Object> c = new HashMap<>();
            c.put("bootstrap.servers", bootstrap());
            c.put("security.protocol", "SASL_PLAINTEXT");
            c.put("sasl.mechanism", "SCRAM-SHA-512");
            c.put("sasl.jaas.config", jaas(user));
            return c;
        }

        @Override
        public void close() {
            server.shutdown();
            server.awaitShutdown();
        }
    }
}
