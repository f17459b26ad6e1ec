package dev.pigeonhole.client.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.pigeonhole.client.spi.Transport;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class JdkTransportTest {

    /** Delivery sheds a reconnect storm with 503 and Retry-After: the client must see how long to wait. */
    @Test
    void aRefusedUpgradeFailsWithItsStatusAndRetryAfter() throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            exchange.getResponseHeaders().add("Retry-After", "7");
            exchange.sendResponseHeaders(503, -1);
            exchange.close();
        });
        server.start();
        try {
            Transport transport = new JdkTransport(HttpClient.newHttpClient());
            URI uri = URI.create("ws://127.0.0.1:" + server.getAddress().getPort() + "/v1/inbox");
            Throwable failure = null;
            try {
                transport.open(uri, Map.of(), Duration.ofSeconds(5), new Transport.Events() {}).get(10, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                failure = e.getCause();
            }
            assertThat(failure).isInstanceOf(Transport.HandshakeRefusedException.class);
            Transport.HandshakeRefusedException refused = (Transport.HandshakeRefusedException) failure;
            assertThat(refused.status()).isEqualTo(503);
            assertThat(refused.retryAfter()).isEqualTo(Duration.ofSeconds(7));
        } finally {
            server.stop(0);
        }
    }
}
