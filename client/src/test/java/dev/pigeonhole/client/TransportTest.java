package dev.pigeonhole.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pigeonhole.client.internal.JdkTransport;
import dev.pigeonhole.client.spi.Transport;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A Transport the app supplies carries both sockets: what an Android app does with OkHttp. */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class TransportTest {

    @Test
    void theClientOpensItsSocketsThroughTheGivenTransport() throws Exception {
        Transport jdk = new JdkTransport(HttpClient.newHttpClient());
        List<String> opened = new CopyOnWriteArrayList<>();
        List<String> sentText = new CopyOnWriteArrayList<>();
        java.util.function.Function<Transport.Connection, Transport.Connection> wrap = c -> new Transport.Connection() {
            @Override
            public void sendText(String text) {
                sentText.add(text);
                c.sendText(text);
            }

            @Override
            public void ping() {
                c.ping();
            }

            @Override
            public void close() {
                c.close();
            }

            @Override
            public void abort() {
                c.abort();
            }
        };
        Transport recording = (uri, headers, timeout, events) -> {
            opened.add(uri.getPath() + " " + headers);
            return jdk.open(uri, headers, timeout, new Transport.Events() {
                @Override
                public void onOpen(Transport.Connection connection) {
                    events.onOpen(wrap.apply(connection));
                }

                @Override
                public void onText(String text) {
                    events.onText(text);
                }

                @Override
                public void onActivity() {
                    events.onActivity();
                }

                @Override
                public void onClose(int code, String reason) {
                    events.onClose(code, reason);
                }

                @Override
                public void onError(Throwable error) {
                    events.onError(error);
                }
            }).thenApply(wrap);
        };
        CompletableFuture<IncomingMessage> received = new CompletableFuture<>();
        try (FakeWsServer server = new FakeWsServer(0);
             PigeonholeClient client = PigeonholeClient.start(ClientOptions.builder(URI.create(server.url()), "alice", "phone")
                     .token("t0k").transport(recording).build(), new Listener() {
                 @Override
                 public void onMessage(IncomingMessage m) {
                     received.complete(m);
                 }
             })) {
            FakeWsServer.Connection inbox = server.accept("/v1/inbox", Duration.ofSeconds(10));
            inbox.send(LocalStoreClientTest.backlog(1, 7));
            inbox.send(LocalStoreClientTest.message(1, "bob", "over okhttp"));
            assertThat(received.get(10, TimeUnit.SECONDS).text()).isEqualTo("over okhttp");
            inbox.next("\"ack\"", Duration.ofSeconds(10));

            Outgoing m = client.sendText("bob", "back");
            FakeWsServer.Connection send = server.accept("/v1/send", Duration.ofSeconds(10));
            assertThat(send.next("\"send\"", Duration.ofSeconds(10))).contains(m.id());
            assertThat(opened).containsExactly("/v1/inbox " + Map.of("Authorization", "Bearer t0k"),
                    "/v1/send " + Map.of("Authorization", "Bearer t0k"));
            assertThat(sentText).anyMatch(t -> t.contains("\"ack\"")).anyMatch(t -> t.contains(m.id()));
        }
    }
}
