package dev.pigeonhole.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.pigeonhole.client.ClientOptions;
import dev.pigeonhole.client.IncomingMessage;
import dev.pigeonhole.client.Listener;
import dev.pigeonhole.client.Outgoing;
import dev.pigeonhole.client.PigeonholeClient;
import dev.pigeonhole.client.SendState;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link PigeonholeCluster} with 1 broker, 1 router, 1 gateway and 2 deliveries: a recipient connected to delivery 1
 * gets what was sent while delivery 1 was dead through delivery 2; a send made while the gateway is paused is held
 * and accepted once it is unpaused; a restarted delivery 1 serves again.
 */
class PigeonholeClusterIT {
    private static final Duration WAIT = Duration.ofMinutes(2);

    @Test
    void deliveriesFailOverAndAPausedGatewayHoldsSendsUntilUnpaused(@TempDir Path bobData) throws Exception {
        long started = System.nanoTime();
        try (PigeonholeCluster cluster = PigeonholeCluster.builder().brokers(1).routers(1).gateways(1).deliveries(2)
                .start()) {
            System.out.printf("cluster of 5 containers ready in %.1f s%n", (System.nanoTime() - started) / 1e9);
            assertThat(cluster.deliveryUrls()).hasSize(2).doesNotHaveDuplicates();
            assertThat(cluster.gatewayUrls()).containsExactly(cluster.gatewayUrl(1));
            assertThat(cluster.bootstrapServers()).matches("127\\.0\\.0\\.1:\\d+");
            for (Component c : List.of(Component.ROUTER, Component.GATEWAY, Component.DELIVERY)) {
                assertThat(Loopback.status(cluster.managementUrl(c, 1) + "/q/health/ready")).as(c.name()).isEqualTo(200);
            }

            List<IncomingMessage> bobGot = new CopyOnWriteArrayList<>();
            Listener bobListener = new Listener() {
                @Override
                public void onMessage(IncomingMessage message) {
                    bobGot.add(message);
                }
            };
            try (PigeonholeClient alice = PigeonholeClient.start(options(cluster.gatewayUrl(1), "cl-alice", null),
                    new Listener() { })) {
                try (PigeonholeClient bob = PigeonholeClient.start(options(cluster.deliveryUrl(1), "cl-bob", bobData),
                        bobListener)) {
                    assertThat(settle(alice.sendText("cl-bob", "one"))).isEqualTo(SendState.ACCEPTED);
                    await().atMost(WAIT).until(() -> bobGot.size() == 1);

                    cluster.kill(Component.DELIVERY, 1);
                    assertThat(cluster.isRunning(Component.DELIVERY, 1)).isFalse();
                    assertThat(settle(alice.sendText("cl-bob", "two"))).isEqualTo(SendState.ACCEPTED);
                }
                // bob's device moves to delivery 2 and resumes after what it had (its position is in bobData)
                try (PigeonholeClient bob = PigeonholeClient.start(options(cluster.deliveryUrl(2), "cl-bob", bobData),
                        bobListener)) {
                    await().atMost(WAIT).until(() -> bobGot.size() == 2);

                    cluster.pause(Component.GATEWAY, 1);
                    assertThat(cluster.isPaused(Component.GATEWAY, 1)).isTrue();
                    assertThat(cluster.isRunning(Component.GATEWAY, 1)).isTrue();
                    // frozen: the probe gets no answer within its 2 s timeout
                    assertThat(Loopback.status(cluster.managementUrl(Component.GATEWAY, 1) + "/q/health/ready"))
                            .isEqualTo(-1);
                    Outgoing three = alice.sendText("cl-bob", "three");
                    cluster.unpause(Component.GATEWAY, 1);
                    assertThat(settle(three)).isEqualTo(SendState.ACCEPTED);
                    await().atMost(WAIT).until(() -> bobGot.size() == 3);
                }

                started = System.nanoTime();
                cluster.restart(Component.DELIVERY, 1);
                System.out.printf("delivery 1 restarted and ready in %.1f s%n", (System.nanoTime() - started) / 1e9);
                assertThat(cluster.isRunning(Component.DELIVERY, 1)).isTrue();
                try (PigeonholeClient bob = PigeonholeClient.start(options(cluster.deliveryUrl(1), "cl-bob", bobData),
                        bobListener)) {
                    assertThat(settle(alice.sendText("cl-bob", "four"))).isEqualTo(SendState.ACCEPTED);
                    await().atMost(WAIT).until(() -> bobGot.size() == 4);
                }
            }
            assertThat(bobGot).extracting(IncomingMessage::seq).containsExactly(1L, 2L, 3L, 4L);
            assertThat(bobGot).extracting(m -> m.text()).containsExactly("one", "two", "three", "four");
            assertThat(bobGot).extracting(IncomingMessage::from).containsOnly("cl-alice");
        }
    }

    private static ClientOptions options(String url, String user, Path data) {
        return ClientOptions.builder(URI.create(url), user, "phone").dataDir(data)
                .backoff(Duration.ofMillis(100), Duration.ofSeconds(1)).build();
    }

    private static SendState settle(Outgoing sent) throws Exception {
        return sent.settled().toCompletableFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS).state();
    }
}
