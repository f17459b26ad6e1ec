package dev.pigeonhole.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Against a local HTTP server standing in for the Kubernetes API: what is patched, how, and how often. */
class PodDeletionCostTest {
    private HttpServer api;
    private final List<String> requests = new CopyOnWriteArrayList<>();
    private final AtomicInteger status = new AtomicInteger(200);
    private PodDeletionCost cost;

    @BeforeEach
    void start() throws Exception {
        api = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        api.createContext("/", exchange -> {
            requests.add(exchange.getRequestMethod() + " " + exchange.getRequestURI() + " "
                    + exchange.getRequestHeaders().getFirst("Authorization") + " "
                    + exchange.getRequestHeaders().getFirst("Content-Type") + " "
                    + new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            exchange.sendResponseHeaders(status.get(), -1);
            exchange.close();
        });
        api.start();
        URI pod = URI.create("http://127.0.0.1:" + api.getAddress().getPort() + "/api/v1/namespaces/chat/pods/delivery-7");
        cost = new PodDeletionCost(HttpClient.newHttpClient(), pod, () -> "token-1");
    }

    @AfterEach
    void stop() {
        api.stop(0);
    }

    @Test
    void patchesThePodsAnnotationWithItsOpenSockets() throws Exception {
        cost.update(1200);
        awaitPublished(1200);
        assertThat(requests).containsExactly("PATCH /api/v1/namespaces/chat/pods/delivery-7 Bearer token-1 "
                + "application/merge-patch+json {\"metadata\":{\"annotations\":{\"controller.kubernetes.io/pod-deletion-cost\":\"1200\"}}}");
    }

    @Test
    void writesAgainOnlyWhenTheCountMovedByMoreThanATenth() throws Exception {
        cost.update(1000);
        awaitPublished(1000);
        cost.update(1090);
        cost.update(910);
        Thread.sleep(200);
        assertThat(requests).hasSize(1);
        cost.update(1150);
        awaitPublished(1150);
        cost.update(3);
        awaitPublished(3);
        cost.update(12);
        Thread.sleep(200);
        assertThat(requests).as("small counts move by at least 10").hasSize(3);
    }

    @Test
    void aRefusalIsRetriedAtTheNextUpdate() throws Exception {
        status.set(403);
        cost.update(500);
        awaitRequests(1);
        assertThat(cost.published()).isEqualTo(-1);
        status.set(200);
        cost.update(500);
        awaitPublished(500);
        assertThat(requests).hasSize(2);
    }

    private void awaitPublished(long value) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (cost.published() != value && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(cost.published()).isEqualTo(value);
    }

    private void awaitRequests(int n) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (requests.size() < n && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        Thread.sleep(100); // the response is handled after the request was seen
        assertThat(requests).hasSize(n);
    }
}
