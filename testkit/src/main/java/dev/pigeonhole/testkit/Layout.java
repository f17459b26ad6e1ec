package dev.pigeonhole.testkit;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * How each container of a {@link PigeonholeCluster} is configured: its loopback ports, the KRaft quorum and the
 * settings every service needs. Mirrors the process-based test cluster ({@code standalone}'s {@code Cluster},
 * {@code BrokerProcess}) and the Helm chart.
 */
final class Layout {
    private Layout() {
    }

    /**
     * {@code n} KRaft nodes (broker and controller each), every one a voter, one cluster id.
     *
     * @param replication of the internal topics (3: min ISR 2)
     */
    static List<Node> kafka(int n, int replication, DockerImageName image, Map<String, String> env) {
        int[] ports = new int[n];
        int[] controllers = new int[n];
        List<String> voters = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ports[i] = Loopback.freePort();
            controllers[i] = Loopback.freePort();
            voters.add((i + 1) + "@" + Loopback.HOST + ":" + controllers[i]);
        }
        String clusterId = kafkaClusterId();
        List<Node> kafka = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            GenericContainer<?> c = container(image)
                    .withEnv("KAFKA_PORT", Integer.toString(ports[i]))
                    .withEnv("KAFKA_ARGS", "--node-id " + (i + 1) + " --controller-port " + controllers[i]
                            + " --voters " + String.join(",", voters) + " --cluster-id " + clusterId
                            + " --replication " + replication);
            env.forEach(c::withEnv);
            kafka.add(new Node(Component.KAFKA, i + 1, c, ports[i], 0));
        }
        return kafka;
    }

    /**
     * Service instance {@code i}: its own HTTP and management ports on 127.0.0.1, the settings every instance of the
     * cluster shares, then {@code own} (what this instance needs), then {@code env} (the user's, which win).
     */
    static Node service(Component component, int i, DockerImageName image, String bootstrap, Map<String, String> own,
                        Map<String, String> env) {
        int port = Loopback.freePort();
        int management = Loopback.freePort();
        GenericContainer<?> c = container(image)
                .withEnv("QUARKUS_HTTP_HOST", Loopback.HOST)
                .withEnv("QUARKUS_HTTP_PORT", Integer.toString(port))
                .withEnv("QUARKUS_MANAGEMENT_HOST", Loopback.HOST)
                .withEnv("QUARKUS_MANAGEMENT_PORT", Integer.toString(management))
                .withEnv("KAFKA_BOOTSTRAP_SERVERS", bootstrap)
                .withEnv("PIGEONHOLE_AUTH_DEV_IDENTITY", "true")
                // the routers' read API is open to whoever holds it; every instance of this cluster does
                .withEnv("PIGEONHOLE_INTERNAL_SECRET", "pigeonhole-testkit")
                // on loopback every client is 127.0.0.1: a per-address cap would cap the whole test
                .withEnv("PIGEONHOLE_LIMITS_CONNECTIONS_PER_ADDRESS", "0");
        own.forEach(c::withEnv);
        env.forEach(c::withEnv);
        return new Node(component, i, c, port, management);
    }

    private static GenericContainer<?> container(DockerImageName image) {
        return new GenericContainer<>(image)
                .withNetworkMode("host")
                .withImagePullPolicy(Images.pullPolicy());
    }

    /** Kafka's cluster id format: 16 random bytes, URL-safe base64 without padding. */
    private static String kafkaClusterId() {
        UUID uuid = UUID.randomUUID();
        ByteBuffer bytes = ByteBuffer.allocate(16).putLong(uuid.getMostSignificantBits())
                .putLong(uuid.getLeastSignificantBits());
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes.array());
    }
}
