package dev.pigeonhole.standalone;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A multi-process deployment on loopback: a real broker in the test JVM and each service instance in its own JVM
 * from its packaged jar, as on Kubernetes (one pod per instance).
 */
final class Cluster implements AutoCloseable {
    static final int PARTITIONS = 4;
    static final int PUSH_PARTITIONS = 8;

    private final Path root;
    private final EmbeddedKafka kafka;
    private final List<BrokerProcess> brokers;
    private final String bootstrap;
    private final List<ServiceProcess> processes = new ArrayList<>();

    private Cluster(Path root, EmbeddedKafka kafka, List<BrokerProcess> brokers) {
        this.root = root;
        this.kafka = kafka;
        this.brokers = brokers;
        this.bootstrap = kafka != null ? kafka.bootstrapServers() : BrokerProcess.bootstrap(brokers);
    }

    /** One broker in the test JVM. */
    static Cluster start(String name) {
        Path root = tempDir(name);
        return new Cluster(root, EmbeddedKafka.start(root.resolve("kafka"), 0), List.of());
    }

    /**
     * {@code count} brokers, each in its own JVM (KRaft quorum of all of them; with three, internal topics are
     * replicated 3 times with min ISR 2): {@link #broker(int)} kills and restarts them.
     */
    static Cluster startWithBrokers(String name, int count) {
        Path root = tempDir(name);
        List<BrokerProcess> brokers = BrokerProcess.cluster(name + "-kafka", root, count);
        brokers.forEach(BrokerProcess::start);
        brokers.forEach(b -> b.awaitReady(Duration.ofSeconds(120)));
        return new Cluster(root, null, brokers);
    }

    /** Broker {@code i} (from 1) of {@link #startWithBrokers}. */
    BrokerProcess broker(int i) {
        return brokers.get(i - 1);
    }

    private static Path tempDir(String name) {
        try {
            return Files.createTempDirectory("pigeonhole-" + name);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    ServiceProcess router(String name) {
        Map<String, String> c = common();
        c.put("pigeonhole.router.state-dir", root.resolve(name).toString());
        c.put("pigeonhole.router.advertised-host", "127.0.0.1");
        c.put("pigeonhole.router.partitions", Integer.toString(PARTITIONS));
        c.put("pigeonhole.router.push-partitions", Integer.toString(PUSH_PARTITIONS));
        return add(ServiceProcess.service("router-streams", name, EmbeddedKafka.freePort(), c));
    }

    /**
     * A router with extra settings (e.g. {@code pigeonhole.router.standby-replicas}), which override the ones
     * {@link #router(String)} sets.
     */
    ServiceProcess router(String name, Map<String, String> settings) {
        Map<String, String> c = common();
        c.put("pigeonhole.router.state-dir", root.resolve(name).toString());
        c.put("pigeonhole.router.advertised-host", "127.0.0.1");
        c.put("pigeonhole.router.partitions", Integer.toString(PARTITIONS));
        c.put("pigeonhole.router.push-partitions", Integer.toString(PUSH_PARTITIONS));
        c.putAll(settings);
        return add(ServiceProcess.service("router-streams", name, EmbeddedKafka.freePort(), c));
    }

    /** A gateway accepting the dev identity. */
    ServiceProcess gateway(String name) {
        return gateway(name, Map.of("pigeonhole.auth.dev-identity", "true"));
    }

    /** A gateway with the given extra settings (e.g. production authentication). */
    ServiceProcess gateway(String name, Map<String, String> settings) {
        Map<String, String> c = common();
        c.putAll(settings);
        return add(ServiceProcess.service("gateway", name, EmbeddedKafka.freePort(), c));
    }

    /** A delivery instance accepting the dev identity. */
    ServiceProcess delivery(String instanceId, ServiceProcess router) {
        return delivery(instanceId, router, Map.of("pigeonhole.auth.dev-identity", "true"));
    }

    ServiceProcess delivery(String instanceId, ServiceProcess router, Map<String, String> settings) {
        return delivery(instanceId, router.http(""), settings);
    }

    /** A delivery instance reading through {@code routerUrl} (e.g. a balancer in front of several routers). */
    ServiceProcess delivery(String instanceId, String routerUrl, Map<String, String> settings) {
        Map<String, String> c = common();
        c.putAll(settings);
        c.put("pigeonhole.delivery.instance-id", instanceId);
        c.put("pigeonhole.delivery.router-url", routerUrl);
        return add(ServiceProcess.service("delivery", instanceId, EmbeddedKafka.freePort(), c));
    }

    /** Starts the given processes in parallel and waits until all are ready. */
    static void startAll(ServiceProcess... services) {
        for (ServiceProcess s : services) {
            s.start();
        }
        for (ServiceProcess s : services) {
            s.awaitReady(Duration.ofSeconds(120));
        }
    }

    /** The directory holding the brokers' and routers' data. */
    Path root() {
        return root;
    }

    String bootstrapServers() {
        return bootstrap;
    }

    private Map<String, String> common() {
        Map<String, String> c = new TreeMap<>();
        c.put("kafka.bootstrap.servers", bootstrap);
        return c;
    }

    private ServiceProcess add(ServiceProcess p) {
        processes.add(p);
        return p;
    }

    @Override
    public void close() {
        processes.forEach(ServiceProcess::kill);
        if (kafka != null) {
            kafka.close();
        }
        brokers.forEach(BrokerProcess::kill);
        TestFiles.delete(root);
    }
}
