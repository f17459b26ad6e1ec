package dev.pigeonhole.testkit;

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.lifecycle.Startables;
import org.testcontainers.utility.DockerImageName;

/**
 * Pigeonhole as it runs in production, one container per instance: a KRaft Kafka cluster (1 or 3 nodes), routers,
 * gateways and delivery instances, each a separate JVM, with chaos operations ({@link #kill}, {@link #pause},
 * {@link #restart}) for testing what your application does when one of them fails.
 *
 * <pre>{@code
 * try (PigeonholeCluster cluster = PigeonholeCluster.builder().deliveries(2).start()) {
 *     // clients send to cluster.gatewayUrl(1) and read from cluster.deliveryUrl(1)
 *     cluster.kill(Component.DELIVERY, 1);   // its clients reconnect to cluster.deliveryUrl(2)
 * }
 * }</pre>
 *
 * <p>Like {@link PigeonholeContainer}: host networking, every container on its own loopback ports, listening on
 * 127.0.0.1 only. The services accept the dev identity ({@code ?user=&device=}); override any setting with
 * {@link Builder#env}. Delivery instance {@code i} reads through router {@code ((i - 1) mod routers) + 1} (there is no
 * load balancer in front of the routers here; the router it asks forwards to the owner of each inbox), so killing
 * that router stops reads on that delivery until the router is back.
 *
 * <p>Instances are numbered from 1. Not thread-safe: drive it from the test's thread.
 */
public final class PigeonholeCluster implements AutoCloseable {
    private final Map<Component, List<Node>> nodes;

    private PigeonholeCluster(Map<Component, List<Node>> nodes) {
        this.nodes = nodes;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** {@code 127.0.0.1:<port>,...} of every Kafka node. */
    public String bootstrapServers() {
        return nodes.get(Component.KAFKA).stream().map(n -> Loopback.HOST + ":" + n.port).collect(Collectors.joining(","));
    }

    /** Base WebSocket URL of gateway {@code i}, {@code ws://127.0.0.1:<port>} (send at {@code /v1/send}). */
    public String gatewayUrl(int i) {
        return "ws://" + Loopback.HOST + ":" + node(Component.GATEWAY, i).port;
    }

    /** Base WebSocket URL of delivery {@code i} (inbox at {@code /v1/inbox}). */
    public String deliveryUrl(int i) {
        return "ws://" + Loopback.HOST + ":" + node(Component.DELIVERY, i).port;
    }

    /** {@link #gatewayUrl} of every gateway, in order. */
    public List<String> gatewayUrls() {
        return nodes.get(Component.GATEWAY).stream().map(n -> gatewayUrl(n.index)).toList();
    }

    /** {@link #deliveryUrl} of every delivery instance, in order. */
    public List<String> deliveryUrls() {
        return nodes.get(Component.DELIVERY).stream().map(n -> deliveryUrl(n.index)).toList();
    }

    /** HTTP base URL of a service instance's public port, e.g. a router's internal read API. */
    public String httpUrl(Component component, int i) {
        return "http://" + Loopback.HOST + ":" + service(component, i).port;
    }

    /** Health and metrics of a service instance: {@code http://127.0.0.1:<port>} ({@code /q/health/ready}, ...). */
    public String managementUrl(Component component, int i) {
        return "http://" + Loopback.HOST + ":" + service(component, i).managementPort;
    }

    /** The container, for its logs ({@code getLogs()}) or {@code execInContainer}. */
    public GenericContainer<?> container(Component component, int i) {
        return node(component, i).container;
    }

    /** SIGKILL, no warning (a crash, an OOM kill). The container stays, stopped, until {@link #restart}. */
    public void kill(Component component, int i) {
        node(component, i).kill();
    }

    /** {@code docker pause}: the container freezes (a stalled VM, a long GC); connections stay open but silent. */
    public void pause(Component component, int i) {
        node(component, i).pause();
    }

    /** {@code docker unpause} after {@link #pause}. */
    public void unpause(Component component, int i) {
        node(component, i).unpause();
    }

    public boolean isPaused(Component component, int i) {
        return node(component, i).isPaused();
    }

    /** True while the container runs (also when paused). */
    public boolean isRunning(Component component, int i) {
        return node(component, i).isRunning();
    }

    /**
     * Kills the container if it runs (SIGKILL) and starts the same container again, with its filesystem (a broker's
     * log, a router's state directory), ports and settings; returns once it is ready. Unpause it first if paused.
     */
    public void restart(Component component, int i) {
        node(component, i).restart(Node.STARTUP);
    }

    /**
     * Waits until the instance is ready: a service's readiness probe answers 200, a Kafka node logged that it serves.
     *
     * @throws org.testcontainers.containers.ContainerLaunchException when it exits or the timeout passes
     */
    public void awaitReady(Component component, int i, Duration timeout) {
        node(component, i).awaitReady(timeout);
    }

    /** Removes every container (with its filesystem). */
    @Override
    public void close() {
        List<Component> order = List.of(Component.GATEWAY, Component.DELIVERY, Component.ROUTER, Component.KAFKA);
        for (Component c : order) {
            for (Node n : nodes.getOrDefault(c, List.of())) {
                if (n.container.getContainerId() != null) {
                    if (n.isPaused()) {
                        n.unpause();
                    }
                    n.remove();
                }
            }
        }
    }

    private Node node(Component component, int i) {
        List<Node> list = nodes.get(component);
        if (i < 1 || i > list.size()) {
            throw new IllegalArgumentException(component + " " + i + ": this cluster has " + list.size() + " (numbered from 1)");
        }
        return list.get(i - 1);
    }

    private Node service(Component component, int i) {
        if (component == Component.KAFKA) {
            throw new IllegalArgumentException("Kafka nodes have no HTTP port: see bootstrapServers()");
        }
        return node(component, i);
    }

    /** How many of each, which images, which settings. Defaults: 1 broker, 1 router, 1 gateway, 1 delivery. */
    public static final class Builder {
        private final Map<Component, Integer> counts = new EnumMap<>(Map.of(Component.KAFKA, 1, Component.ROUTER, 1,
                Component.GATEWAY, 1, Component.DELIVERY, 1));
        private final Map<Component, DockerImageName> images = new EnumMap<>(Component.class);
        private final Map<Component, Map<String, String>> env = new EnumMap<>(Component.class);

        private Builder() {
            for (Component c : Component.values()) {
                images.put(c, Images.of(c));
                env.put(c, new LinkedHashMap<>());
            }
        }

        /** Kafka nodes (each broker and controller): 1, or 3 (internal and Pigeonhole topics replicated 3 times, min ISR 2). */
        public Builder brokers(int n) {
            if (n != 1 && n != 3) {
                throw new IllegalArgumentException("1 or 3 brokers");
            }
            return count(Component.KAFKA, n);
        }

        public Builder routers(int n) {
            return count(Component.ROUTER, n);
        }

        public Builder gateways(int n) {
            return count(Component.GATEWAY, n);
        }

        public Builder deliveries(int n) {
            return count(Component.DELIVERY, n);
        }

        /** Another image for one component (default {@link Images#of(Component)}). */
        public Builder image(Component component, DockerImageName image) {
            images.put(component, image);
            return this;
        }

        /** An environment variable (a setting, e.g. {@code PIGEONHOLE_LIMITS_SENDS_PER_SECOND_PER_USER}) of every service. */
        public Builder env(String name, String value) {
            for (Component c : List.of(Component.ROUTER, Component.GATEWAY, Component.DELIVERY)) {
                env.get(c).put(name, value);
            }
            return this;
        }

        /** An environment variable of every instance of one component; overrides what the kit sets. */
        public Builder env(Component component, String name, String value) {
            env.get(component).put(name, value);
            return this;
        }

        private Builder count(Component component, int n) {
            if (n < 1) {
                throw new IllegalArgumentException(component + ": at least 1");
            }
            counts.put(component, n);
            return this;
        }

        /**
         * Starts Kafka, then the routers (they create the topics), then gateways and deliveries together; returns
         * when every container is ready. On failure, whatever started is removed again.
         */
        public PigeonholeCluster start() {
            Map<Component, List<Node>> nodes = new EnumMap<>(Component.class);
            PigeonholeCluster cluster = new PigeonholeCluster(nodes);
            try {
                nodes.put(Component.KAFKA, Layout.kafka(counts.get(Component.KAFKA), replication(),
                        images.get(Component.KAFKA), env.get(Component.KAFKA)));
                startAll(nodes.get(Component.KAFKA));
                String bootstrap = cluster.bootstrapServers();
                String id = UUID.randomUUID().toString().substring(0, 8);
                List<Node> routers = new ArrayList<>();
                for (int i = 1; i <= counts.get(Component.ROUTER); i++) {
                    routers.add(service(Component.ROUTER, i, bootstrap, Map.of(
                            "PIGEONHOLE_ROUTER_STATE_DIR", "/tmp/pigeonhole-streams",
                            "PIGEONHOLE_ROUTER_ADVERTISED_HOST", Loopback.HOST,
                            "PIGEONHOLE_ROUTER_REPLICATION_FACTOR", Integer.toString(replication()),
                            "PIGEONHOLE_ROUTER_MIN_INSYNC_REPLICAS", Integer.toString(Math.min(2, replication())),
                            // static membership, as the Helm chart: a restarted router takes its tasks back at once
                            "JAVA_TOOL_OPTIONS", "-Dkafka-streams.group.instance.id=kit-" + id + "-router-" + i)));
                }
                nodes.put(Component.ROUTER, routers);
                startAll(routers);
                List<Node> gateways = new ArrayList<>();
                for (int i = 1; i <= counts.get(Component.GATEWAY); i++) {
                    gateways.add(service(Component.GATEWAY, i, bootstrap, Map.of()));
                }
                List<Node> deliveries = new ArrayList<>();
                for (int i = 1; i <= counts.get(Component.DELIVERY); i++) {
                    Node router = routers.get((i - 1) % routers.size());
                    deliveries.add(service(Component.DELIVERY, i, bootstrap, Map.of(
                            "PIGEONHOLE_DELIVERY_INSTANCE_ID", "kit-" + id + "-delivery-" + i,
                            "PIGEONHOLE_DELIVERY_ROUTER_URL", "http://" + Loopback.HOST + ":" + router.port)));
                }
                nodes.put(Component.GATEWAY, gateways);
                nodes.put(Component.DELIVERY, deliveries);
                List<Node> rest = new ArrayList<>(gateways);
                rest.addAll(deliveries);
                startAll(rest);
                return cluster;
            } catch (RuntimeException e) {
                try {
                    cluster.close();
                } catch (RuntimeException suppressed) {
                    e.addSuppressed(suppressed);
                }
                throw e;
            }
        }

        private Node service(Component component, int i, String bootstrap, Map<String, String> own) {
            return Layout.service(component, i, images.get(component), bootstrap, own, env.get(component));
        }

        private int replication() {
            return counts.get(Component.KAFKA) >= 3 ? 3 : 1;
        }

        private static void startAll(List<Node> nodes) {
            try {
                Startables.deepStart(nodes.stream().map(n -> n.container)).join();
            } catch (java.util.concurrent.CompletionException e) {
                throw e.getCause() instanceof RuntimeException r ? r : e;
            }
            nodes.forEach(Node::markStarted);
        }
    }
}
