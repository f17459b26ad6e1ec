package dev.pigeonhole.standalone;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pigeonhole.protocol.Json;
import dev.pigeonhole.protocol.ServerFrame;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * The router is killed (SIGKILL) while an app updates a shadow from four connections: every update is applied
 * exactly once — requests written before the kill are answered by the restarted router, those that timed out are
 * resent with the same clientToken and not applied again — and the thing, asleep meanwhile, wakes to one delta with
 * all of them. Updates applied before the kill, resent afterwards, are not applied again either (the dedup marks
 * are restored with the store).
 */
class ShadowRouterRestartIT {
    private static final int UPDATES = 240;
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void killingTheRouterMidUpdateLosesAndDoublesNoUpdate() {
        try (Cluster cluster = Cluster.start("shadow-restart-it")) {
            ServiceProcess router = cluster.router("router");
            ServiceProcess gateway = cluster.gateway("gateway");
            ServiceProcess delivery = cluster.delivery("delivery-0", router);
            Cluster.startAll(router, gateway, delivery);
            try (TestInbox thing = new TestInbox(delivery.ws(""), "sr-home", "boiler", "", true)) {
                thing.awaitCaughtUp(Duration.ofSeconds(60)); // registered, then asleep
            }
            AtomicInteger accepted = new AtomicInteger();
            AtomicInteger retried = new AtomicInteger();
            CompletableFuture<?>[] workers = IntStream.range(0, 4).mapToObj(w -> CompletableFuture.runAsync(() -> {
                for (int i = w; i < UPDATES; i += 4) {
                    String body = "{\"clientToken\":\"u-" + i + "\",\"state\":{\"desired\":{\"f" + i + "\":" + i + "}}}";
                    while (!update(delivery, body)) {
                        retried.incrementAndGet();
                        ServiceProcess.sleep(200);
                    }
                    accepted.incrementAndGet();
                }
            })).toArray(CompletableFuture[]::new);
            while (accepted.get() < UPDATES / 3) {
                ServiceProcess.sleep(5);
            }
            router.kill();
            int beforeKill = accepted.get();
            router.start().awaitReady(Duration.ofSeconds(120));
            CompletableFuture.allOf(workers).join();
            assertThat(beforeKill).as("killed mid-update").isLessThan(UPDATES);
            System.out.printf("[ShadowRouterRestartIT] %d accepted before the kill, %d resends after a timeout%n",
                    beforeKill, retried.get());
            for (int i = 0; i < 8; i++) { // applied before the kill: a resend changes nothing
                assertThat(update(delivery, "{\"clientToken\":\"u-" + i + "\",\"state\":{\"desired\":{\"f" + i + "\":-1}}}"))
                        .isTrue();
            }

            JsonNode doc = Json.read(get(delivery).body(), JsonNode.class);
            assertThat(doc.path("version").asLong()).as("each update applied once").isEqualTo(UPDATES);
            JsonNode desired = doc.path("state").path("desired");
            assertThat(desired.size()).isEqualTo(UPDATES);
            for (int i = 0; i < UPDATES; i++) {
                assertThat(desired.path("f" + i).asInt(-1)).isEqualTo(i);
            }
            try (TestInbox thing = new TestInbox(delivery.ws(""), "sr-home", "boiler", "", true)) {
                thing.awaitCaughtUp(Duration.ofSeconds(60));
                List<ServerFrame.ShadowDelta> deltas = thing.frames().stream()
                        .filter(f -> f instanceof ServerFrame.ShadowDelta).map(f -> (ServerFrame.ShadowDelta) f).toList();
                assertThat(deltas).hasSize(1);
                assertThat(deltas.get(0).version()).isEqualTo(UPDATES);
                assertThat(deltas.get(0).state()).isEqualTo(desired);
            }
        }
    }

    /** True once the update is accepted; false for an answer to retry (503, a refused or dropped connection). */
    private static boolean update(ServiceProcess delivery, String body) {
        try {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(delivery.http(
                    "/v1/things/boiler/shadow?user=sr-home&device=phone"))).timeout(Duration.ofSeconds(30))
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() == 503) {
                return false;
            }
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            return true;
        } catch (java.io.IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static HttpResponse<String> get(ServiceProcess delivery) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create(delivery.http(
                    "/v1/things/boiler/shadow?user=sr-home&device=phone"))).GET().build(), HttpResponse.BodyHandlers.ofString());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
