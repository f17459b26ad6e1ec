package dev.pigeonhole.standalone;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;

/**
 * A real Kafka node (KRaft, broker and controller in one) running in this JVM on loopback: alone (the standalone
 * mode), or one of several forming a cluster ({@link Node}). Its log directory persists, so a restart with the same
 * directory keeps every topic and message.
 */
public final class EmbeddedKafka implements AutoCloseable {
    private final KafkaRaftServer server;
    private final int port;

    private EmbeddedKafka(KafkaRaftServer server, int port) {
        this.server = server;
        this.port = port;
    }

    /** One node of a cluster: its id, ports, the controller quorum and the replication its internal topics get. */
    public record Node(int id, int clientPort, int controllerPort, String voters, String clusterId, int replication) {
        /** A cluster of one. */
        static Node single(int clientPort) {
            int controllerPort = freePort();
            while (controllerPort == clientPort) { // two probes may find the same free port
                controllerPort = freePort();
            }
            return new Node(1, clientPort, controllerPort, "1@127.0.0.1:" + controllerPort, null, 1);
        }
    }

    /**
     * Formats {@code dir} if it is new (a restart keeps its cluster id and data) and starts a single-node broker.
     *
     * @param port the client port, 0 for any free port
     */
    public static EmbeddedKafka start(Path dir, int port) {
        return start(dir, Node.single(port == 0 ? freePort() : port));
    }

    /**
     * Formats {@code dir} if it is new (with the node's cluster id, or a random one) and starts the node. With
     * {@code replication} 3, internal topics are replicated 3 times and need 2 in sync, as in production.
     */
    public static EmbeddedKafka start(Path dir, Node node) {
        try {
            Files.createDirectories(dir);
            int clientPort = node.clientPort();
            int controllerPort = node.controllerPort();
            String minIsr = Integer.toString(Math.min(2, node.replication()));
            String replication = Integer.toString(node.replication());
            Properties props = new Properties();
            props.put("process.roles", "broker,controller");
            props.put("node.id", Integer.toString(node.id()));
            props.put("controller.quorum.voters", node.voters());
            props.put("listeners", "PLAINTEXT://127.0.0.1:" + clientPort + ",CONTROLLER://127.0.0.1:" + controllerPort);
            props.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + clientPort);
            props.put("controller.listener.names", "CONTROLLER");
            props.put("inter.broker.listener.name", "PLAINTEXT");
            props.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
            Path logs = dir.toAbsolutePath().resolve("logs");
            props.put("log.dirs", logs.toString());
            props.put("auto.create.topics.enable", "false");
            props.put("default.replication.factor", replication);
            props.put("min.insync.replicas", minIsr);
            props.put("offsets.topic.replication.factor", replication);
            props.put("offsets.topic.num.partitions", "4");
            props.put("transaction.state.log.replication.factor", replication);
            props.put("transaction.state.log.min.isr", minIsr);
            props.put("transaction.state.log.num.partitions", "4");
            props.put("share.coordinator.state.topic.replication.factor", replication);
            props.put("share.coordinator.state.topic.min.isr", minIsr);
            props.put("group.initial.rebalance.delay.ms", "0");
            // abort the open transaction of a crashed router soon after it times out (default check: every 10 s)
            props.put("transaction.abort.timed.out.transaction.cleanup.interval.ms", "1000");
            props.put("log.cleaner.dedupe.buffer.size", "4194304");
            // a router's next transaction may write before the last one's markers are all written: wait for them on
            // the broker (up to 1 s) rather than answer CONCURRENT_TRANSACTIONS after 100 ms (KAFKA-18654)
            props.put("add.partitions.to.txn.retry.backoff.max.ms", "1000");
            if (node.replication() > 1) {
                // a killed node is fenced, and leaves the ISRs, within seconds (defaults: 9 s and 30 s)
                props.put("broker.heartbeat.interval.ms", "1000");
                props.put("broker.session.timeout.ms", "3000");
                props.put("replica.lag.time.max.ms", "5000");
            }
            Path config = dir.resolve("server.properties");
            try (OutputStream out = Files.newOutputStream(config)) {
                props.store(out, "written by Pigeonhole at each start");
            }
            if (!Files.exists(logs.resolve("meta.properties"))) {
                ByteArrayOutputStream formatLog = new ByteArrayOutputStream();
                String clusterId = node.clusterId() != null ? node.clusterId() : Uuid.randomUuid().toString();
                int rc = StorageTool.execute(new String[] {"format", "-t", clusterId, "-c",
                        config.toString()}, new PrintStream(formatLog, true, StandardCharsets.UTF_8));
                if (rc != 0) {
                    throw new IllegalStateException("cannot format " + dir + ": " + formatLog.toString(StandardCharsets.UTF_8));
                }
            }
            KafkaRaftServer server = new KafkaRaftServer(KafkaConfig.fromProps(props, false), Time.SYSTEM);
            server.startup();
            return new EmbeddedKafka(server, clientPort);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public String bootstrapServers() {
        return "127.0.0.1:" + port;
    }

    @Override
    public void close() {
        server.shutdown();
        server.awaitShutdown();
    }

    /**
     * A free loopback port, below the kernel's ephemeral range when there is room: a port the kernel hands out for
     * {@code bind(0)} can also be taken by any outgoing connection before the caller listens on it (seen under load
     * tests that open thousands of connections: "Address already in use").
     */
    public static int freePort() {
        int high = ephemeralLow();
        java.util.concurrent.ThreadLocalRandom random = java.util.concurrent.ThreadLocalRandom.current();
        for (int attempt = 0; high > 21_000 && attempt < 100; attempt++) {
            int port = random.nextInt(20_000, high);
            try (ServerSocket s = new ServerSocket(port, 1, java.net.InetAddress.getLoopbackAddress())) {
                return s.getLocalPort();
            } catch (IOException taken) {
                // try another
            }
        }
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The first port of the kernel's ephemeral range (32768 when unknown). */
    private static int ephemeralLow() {
        try {
            String range = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/sys/net/ipv4/ip_local_port_range"));
            return Integer.parseInt(range.trim().split("\\s+")[0]);
        } catch (IOException | RuntimeException e) {
            return 32_768;
        }
    }
}
