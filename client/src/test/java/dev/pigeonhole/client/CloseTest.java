package dev.pigeonhole.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pigeonhole.protocol.Json;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** What close() does to waiting futures, and close() called from a listener method. */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class CloseTest {
    private static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    Path dir;

    private final List<AutoCloseable> closeLater = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        Collections.reverse(closeLater);
        for (AutoCloseable c : closeLater) {
            c.close();
        }
    }

    private PigeonholeClient start(String url, Listener listener) {
        PigeonholeClient c = PigeonholeClient.start(ClientOptions.builder(URI.create(url), "alice", "phone")
                .dataDir(dir).pingInterval(Duration.ofSeconds(2)).backoff(Duration.ofMillis(20), Duration.ofMillis(200))
                .connectTimeout(Duration.ofSeconds(2)).build(), listener);
        closeLater.add(c);
        return c;
    }

    private FakeWsServer server() throws Exception {
        FakeWsServer s = new FakeWsServer(0);
        closeLater.add(s);
        return s;
    }

    private static Throwable failure(CompletionStage<?> stage) throws Exception {
        try {
            stage.toCompletableFuture().get(5, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            return e.getCause();
        }
        throw new AssertionError("completed normally");
    }

    @Test
    void closeFailsEveryWaitingFutureAndTheQueuedMessageIsSentByTheNextClient() throws Exception {
        FakeWsServer server = server();
        PigeonholeClient client = start(server.url(), new Listener() {});
        FakeWsServer.Connection inbox = server.accept("/v1/inbox", WAIT);
        inbox.send(LocalStoreClientTest.backlog(0, 7));
        Outgoing message = client.sendText("bob", "never answered");
        FakeWsServer.Connection send = server.accept("/v1/send", WAIT);
        assertThat(send.next("\"send\"", WAIT)).contains(message.id());
        CompletionStage<?> fetch = client.fetch(1, 5);
        inbox.next("\"fetch\"", WAIT);
        CompletableFuture<ShadowDocument> get = client.shadow("thermostat").get();
        inbox.next("shadow_get", WAIT);

        client.close();

        assertThat(message.settled().toCompletableFuture()).as("failed by the time close() returned").isCompletedExceptionally();
        assertThat(failure(message.settled())).isInstanceOf(ClientClosedException.class).hasMessageContaining("outbox");
        assertThat(message.state()).isEqualTo(SendState.QUEUED);
        assertThat(failure(fetch)).isInstanceOf(ClientClosedException.class);
        assertThat(failure(get)).isInstanceOf(ClientClosedException.class);
        assertThatThrownBy(() -> client.sendText("bob", "late")).isInstanceOf(ClientClosedException.class);
        assertThat(failure(client.fetch(1, 5))).isInstanceOf(ClientClosedException.class);

        start(server.url(), new Listener() {});
        FakeWsServer.Connection resend = server.accept("/v1/send", WAIT);
        JsonNode frame = Json.read(resend.next("\"send\"", WAIT), JsonNode.class);
        assertThat(frame.get("id").asText()).isEqualTo(message.id());
    }

    @Test
    void closeFromAListenerReturnsAtOnceAndTheStoreClosesWhenTheListenerReturns() throws Exception {
        FakeWsServer server = server();
        CompletableFuture<Long> closeMillis = new CompletableFuture<>();
        CompletableFuture<Integer> readAfterClose = new CompletableFuture<>();
        PigeonholeClient[] self = new PigeonholeClient[1];
        self[0] = start(server.url(), new Listener() {
            @Override
            public void onMessage(IncomingMessage m) {
                long t = System.nanoTime();
                self[0].close();
                closeMillis.complete((System.nanoTime() - t) / 1_000_000);
                readAfterClose.complete(self[0].history(10).size()); // the store is still open for this call
            }
        });
        FakeWsServer.Connection inbox = server.accept("/v1/inbox", WAIT);
        inbox.send(LocalStoreClientTest.backlog(1, 7));
        inbox.send(LocalStoreClientTest.message(1, "bob", "stop"));
        assertThat(closeMillis.get(10, TimeUnit.SECONDS)).as("close() in a listener does not wait for it").isLessThan(1000);
        assertThat(readAfterClose.get(1, TimeUnit.SECONDS)).isEqualTo(1);

        // Once the listener returned, the store is closed and the data directory free; the entry counted as delivered.
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (true) {
            try {
                self[0].history(1);
            } catch (ClientClosedException closed) {
                break;
            } catch (IllegalStateException closing) {
                // a read racing the close fails inside the store
            }
            assertThat(System.nanoTime()).as("store closed").isLessThan(deadline);
            Thread.sleep(10);
        }
        start(server.url(), new Listener() {});
        FakeWsServer.Connection next = server.accept("/v1/inbox", WAIT);
        assertThat(next.path()).contains("after=1");
        assertThat(next.next("\"ack\"", WAIT)).contains("\"seq\":1");
    }
}
