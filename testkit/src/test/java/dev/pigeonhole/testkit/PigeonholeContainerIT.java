package dev.pigeonhole.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.pigeonhole.client.ClientOptions;
import dev.pigeonhole.client.IncomingMessage;
import dev.pigeonhole.client.Listener;
import dev.pigeonhole.client.Outgoing;
import dev.pigeonhole.client.PigeonholeClient;
import dev.pigeonhole.client.SendState;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.testcontainers.DockerClientFactory;

/**
 * {@link PigeonholeContainer} on a data volume: tokens only by default, a message sent while its recipient is offline
 * arrives when he connects, and one sent while the server is down (held in the client's outbox) arrives once a new
 * container on the same volume is up — which still knows the inbox (seq continues) and the dev key (old tokens pass).
 */
class PigeonholeContainerIT {
    private static final Duration WAIT = Duration.ofMinutes(2);

    @Test
    void aVolumeCarriesInboxesAndTokensAcrossContainers() throws Exception {
        String volume = "pigeonhole-testkit-it-" + UUID.randomUUID();
        try (PigeonholeContainer pigeonhole = new PigeonholeContainer().withDataVolume(volume)) {
            long started = System.nanoTime();
            pigeonhole.start();
            System.out.printf("standalone container ready in %.1f s%n", (System.nanoTime() - started) / 1e9);
            assertThat(pigeonhole.execInContainer("id", "-u").getStdout().strip()).isEqualTo("185");
            assertThat(Loopback.status(pigeonhole.managementUrl() + "/q/health/ready")).isEqualTo(200);
            // no dev identity unless asked for: ?user=&device= alone is refused
            assertThat(post(pigeonhole.httpUrl() + "/v1/messages?user=ct-alice&device=phone")).isEqualTo(401);
            assertThatThrownBy(() -> pigeonhole.mintToken("not a valid name", "phone"))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("answered 400");

            String aliceToken = pigeonhole.mintToken("ct-alice", "phone");
            String bobToken = pigeonhole.mintToken("ct-bob", "laptop");
            assertThat(aliceToken).isNotEqualTo(bobToken).matches("[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+");
            URI server = URI.create(pigeonhole.wsUrl());
            List<IncomingMessage> bobGot = new CopyOnWriteArrayList<>();
            try (PigeonholeClient alice = PigeonholeClient.start(options(server, "ct-alice", "phone", aliceToken),
                    new Listener() { })) {
                Outgoing first = alice.sendText("ct-bob", "sent while bob was offline");
                assertThat(first.settled().toCompletableFuture().get(60, TimeUnit.SECONDS).state())
                        .isEqualTo(SendState.ACCEPTED);

                try (PigeonholeClient bob = PigeonholeClient.start(options(server, "ct-bob", "laptop", bobToken),
                        new Listener() {
                            @Override
                            public void onMessage(IncomingMessage message) {
                                bobGot.add(message);
                            }
                        })) {
                    await().atMost(WAIT).until(() -> bobGot.size() == 1);

                    String firstContainer = pigeonhole.getContainerId();
                    pigeonhole.stop();
                    Outgoing second = alice.sendText("ct-bob", "sent while the server was down");
                    assertThat(second.settled().toCompletableFuture().isDone()).as("nothing can accept it").isFalse();
                    assertThat(second.state()).isEqualTo(SendState.QUEUED);

                    started = System.nanoTime();
                    pigeonhole.start();
                    System.out.printf("new container on the same volume ready in %.1f s%n",
                            (System.nanoTime() - started) / 1e9);
                    assertThat(pigeonhole.getContainerId()).isNotEqualTo(firstContainer);
                    // both clients reconnect by themselves with the tokens the first container minted
                    assertThat(second.settled().toCompletableFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS).state())
                            .isEqualTo(SendState.ACCEPTED);
                    await().atMost(WAIT).until(() -> bobGot.size() >= 2);
                }
            }
            assertThat(bobGot).extracting(IncomingMessage::seq).containsExactly(1L, 2L);
            assertThat(bobGot).extracting(IncomingMessage::from).containsExactly("ct-alice", "ct-alice");
            assertThat(bobGot).extracting(m -> m.text())
                    .containsExactly("sent while bob was offline", "sent while the server was down");
        } finally {
            DockerClientFactory.instance().client().removeVolumeCmd(volume).exec();
        }
    }

    private static ClientOptions options(URI server, String user, String device, String token) {
        return ClientOptions.builder(server, user, device).token(token)
                .backoff(Duration.ofMillis(100), Duration.ofSeconds(1)).build();
    }

    private static int post(String url) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"to\":\"ct-bob\",\"body\":{\"text\":\"hi\"}}")).build();
        return HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
    }
}
