package dev.pigeonhole.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pigeonhole.client.ClientOptions;
import dev.pigeonhole.client.IncomingMessage;
import dev.pigeonhole.client.Listener;
import dev.pigeonhole.client.Outgoing;
import dev.pigeonhole.client.PigeonholeClient;
import dev.pigeonhole.client.SendState;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.utility.DockerImageName;

/**
 * Builds the images (deploy/build-images.sh), starts Kafka and the three services as containers (host network,
 * Testcontainers, never pulling), checks the health endpoints the probes use and a non-root user, and carries
 * one message to a recipient that was offline when it was sent.
 *
 * <p>Needs a Docker engine. Without one it is skipped, unless {@code PIGEONHOLE_REQUIRE_DOCKER=true} (CI sets
 * it; {@code .ci/run} installs and starts Docker and builds the base image).
 */
class ImagesIT {
    private static final String TAG = "0.1.0-SNAPSHOT";
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final List<GenericContainer<?>> CONTAINERS = new ArrayList<>();
    private static final Map<Integer, Integer> MANAGEMENT = new HashMap<>();
    private static int gatewayPort;
    private static int deliveryPort;
    private static int routerPort;

    @BeforeAll
    static void buildAndStart() throws Exception {
        boolean docker;
        try {
            docker = DockerClientFactory.instance().isDockerAvailable();
        } catch (RuntimeException e) {
            docker = false;
        }
        if (!docker) {
            if ("true".equals(System.getenv("PIGEONHOLE_REQUIRE_DOCKER"))) {
                throw new IllegalStateException("PIGEONHOLE_REQUIRE_DOCKER=true but no Docker engine is reachable");
            }
            Assumptions.abort("no Docker engine: ImagesIT skipped (CI runs it with PIGEONHOLE_REQUIRE_DOCKER=true)");
        }
        ProcessBuilder build = new ProcessBuilder(Chart.ROOT.resolve("deploy/build-images.sh").toString(), "--kafka")
                .directory(Chart.ROOT.toFile()).inheritIO();
        build.environment().put("BASE_IMAGE",
                System.getenv().getOrDefault("PIGEONHOLE_BASE_IMAGE", "pigeonhole/jre17-base:local"));
        assertThat(build.start().waitFor()).as("deploy/build-images.sh").isZero();

        int kafkaPort = freePort();
        routerPort = freePort();
        gatewayPort = freePort();
        deliveryPort = freePort();
        for (int port : new int[] {routerPort, gatewayPort, deliveryPort}) {
            MANAGEMENT.put(port, freePort());
        }
        String bootstrap = "127.0.0.1:" + kafkaPort;
        start(container("kafka-dev").withEnv("KAFKA_PORT", Integer.toString(kafkaPort))
                .waitingFor(Wait.forLogMessage(".*dev Kafka ready.*", 1).withStartupTimeout(Duration.ofMinutes(2))));
        start(service("router-streams", routerPort, bootstrap)
                .withEnv("PIGEONHOLE_ROUTER_STATE_DIR", "/tmp/streams")
                .withEnv("PIGEONHOLE_ROUTER_ADVERTISED_HOST", "127.0.0.1")
                .withEnv("PIGEONHOLE_ROUTER_PARTITIONS", "2")
                .withEnv("PIGEONHOLE_ROUTER_PUSH_PARTITIONS", "2"));
        start(service("gateway", gatewayPort, bootstrap));
        start(service("delivery", deliveryPort, bootstrap)
                .withEnv("PIGEONHOLE_DELIVERY_ROUTER_URL", "http://127.0.0.1:" + routerPort));
        for (int port : new int[] {routerPort, gatewayPort, deliveryPort}) {
            awaitReady(port);
        }
    }

    @AfterAll
    static void stop() {
        CONTAINERS.forEach(GenericContainer::stop);
    }

    @Test
    void theProbesPathsAnswerAndNothingRunsAsRoot() throws Exception {
        for (int port : new int[] {routerPort, gatewayPort, deliveryPort}) {
            for (String path : List.of("/q/health/started", "/q/health/ready", "/q/health/live")) {
                assertThat(status(management(port), path)).as(port + path).isEqualTo(200);
                assertThat(status(port, path)).as("not on the public port: " + port + path).isEqualTo(404);
            }
        }
        for (GenericContainer<?> c : CONTAINERS) {
            assertThat(c.execInContainer("id", "-u").getStdout().strip()).as(c.getDockerImageName()).isEqualTo("185");
        }
    }

    @Test
    void aMessageSentWhileTheRecipientIsOfflineArrivesWhenItConnects() throws Exception {
        Outgoing sent;
        try (PigeonholeClient alice = PigeonholeClient.start(ClientOptions.builder(
                URI.create("ws://127.0.0.1:" + gatewayPort), "img-alice", "phone").build(), new Listener() { })) {
            sent = alice.sendText("img-bob", "hello from the containers");
            sent.settled().toCompletableFuture().get(60, TimeUnit.SECONDS);
        }
        assertThat(sent.state()).isEqualTo(SendState.ACCEPTED);

        List<IncomingMessage> received = new CopyOnWriteArrayList<>();
        try (PigeonholeClient bob = PigeonholeClient.start(ClientOptions.builder(
                URI.create("ws://127.0.0.1:" + deliveryPort), "img-bob", "laptop").build(), new Listener() {
                    @Override
                    public void onMessage(IncomingMessage message) {
                        received.add(message);
                    }
                })) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (received.isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
        }
        assertThat(received).singleElement().satisfies(m -> {
            assertThat(m.seq()).isEqualTo(1);
            assertThat(m.from()).isEqualTo("img-alice");
            assertThat(m.text()).isEqualTo("hello from the containers");
        });
    }

    private static GenericContainer<?> container(String component) {
        return new GenericContainer<>(DockerImageName.parse("pigeonhole/" + component + ":" + TAG))
                .withNetworkMode("host")
                .withImagePullPolicy(name -> false);
    }

    private static GenericContainer<?> service(String component, int port, String bootstrap) {
        return container(component)
                .withEnv("QUARKUS_HTTP_PORT", Integer.toString(port))
                .withEnv("QUARKUS_HTTP_HOST", "127.0.0.1")
                .withEnv("QUARKUS_MANAGEMENT_PORT", Integer.toString(management(port)))
                .withEnv("QUARKUS_MANAGEMENT_HOST", "127.0.0.1")
                .withEnv("KAFKA_BOOTSTRAP_SERVERS", bootstrap)
                .withEnv("PIGEONHOLE_AUTH_DEV_IDENTITY", "true")
                .withEnv("PIGEONHOLE_INTERNAL_SECRET", "images-it")
                .waitingFor(Wait.forLogMessage(".*started in.*", 1).withStartupTimeout(Duration.ofMinutes(2)));
    }

    private static void start(GenericContainer<?> c) {
        CONTAINERS.add(c);
        c.start();
    }

    private static void awaitReady(int port) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline) {
            if (status(management(port), "/q/health/ready") == 200) {
                return;
            }
            Thread.sleep(250);
        }
        throw new AssertionError("port " + port + " not ready");
    }

    private static int status(int port, String path) throws InterruptedException {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        }
    }

    /** Each service's management port (health, metrics), paired with its HTTP port. */
    private static int management(int port) {
        return MANAGEMENT.get(port);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
