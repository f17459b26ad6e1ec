package dev.pigeonhole.standalone;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pigeonhole.client.ClientOptions;
import dev.pigeonhole.client.Outgoing;
import dev.pigeonhole.client.PigeonholeClient;
import dev.pigeonhole.client.SendState;
import dev.pigeonhole.protocol.ErrorCode;
import dev.pigeonhole.protocol.ServerFrame;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Send rates on a stack whose limits refill slowly (a connection: 20 at once, then 5/s; a user: 30 at once, then 6/s),
 * so every assertion holds however slow the machine is: sending {@value #N} frames takes far less than the
 * {@code (N - burst) / rate} seconds the buckets need to refill. (With the default 200/s a slow machine sending 600
 * sends stays under the limit and the test could not see one.)
 */
class RateLimitIT {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final int N = 80;

    @RegisterExtension
    static final StandaloneExtension STACK = new StandaloneExtension("rate-limit-it", Map.of(
            "pigeonhole.internal.secret", ServiceProcess.INTERNAL_SECRET,
            "pigeonhole.limits.send-burst-per-connection", "20",
            "pigeonhole.limits.sends-per-second-per-connection", "5",
            "pigeonhole.limits.send-burst-per-user", "30",
            "pigeonhole.limits.sends-per-second-per-user", "6"));
    private static ServiceProcess pigeonhole;

    @BeforeAll
    static void stack() {
        pigeonhole = STACK.process();
    }

    @Test
    void sendingTooFastIsRejectedWithAHintAndNothingIsLostWhenRetried() throws Exception {
        List<String> ids = IntStream.range(0, N).mapToObj(i -> "r-" + i).toList();
        long started = System.nanoTime();
        try (TestSender fast = new TestSender(pigeonhole.ws(""), "rl-fast", "phone")) {
            ids.forEach(id -> fast.send(id, "rl-reader", "{\"id\":\"" + id + "\"}"));
            fast.awaitReplies(ids, 1, WAIT);
            double seconds = (System.nanoTime() - started) / 1e9;
            List<String> limited = new ArrayList<>();
            for (String id : ids) {
                ServerFrame reply = fast.replies(id).get(0);
                if (reply instanceof ServerFrame.Rejected r) {
                    assertThat(r.code()).isEqualTo(ErrorCode.RATE_LIMITED);
                    assertThat(r.retryable()).isTrue();
                    assertThat(r.retryAfterMs()).isPositive();
                    limited.add(id);
                }
            }
            assertThat(N - limited.size()).as("accepted: the burst of 20, plus 5/s over %.1f s", seconds)
                    .isBetween(20, 20 + (int) Math.ceil(5 * seconds) + 1);
            // resend the limited ones, oldest first, pacing by the hint, until all are accepted
            for (String id : limited) {
                while (true) {
                    int before = fast.replies(id).size();
                    fast.send(id, "rl-reader", "{\"id\":\"" + id + "\"}");
                    fast.awaitReplies(List.of(id), before + 1, WAIT);
                    ServerFrame reply = fast.replies(id).get(before);
                    if (reply instanceof ServerFrame.Accepted) {
                        break;
                    }
                    ServiceProcess.sleep(((ServerFrame.Rejected) reply).retryAfterMs());
                }
            }
        }
        pigeonhole.awaitStored("rl-reader", N, WAIT);
        try (TestInbox reader = new TestInbox(pigeonhole.ws(""), "rl-reader", "phone", "after=0&window=1024", true)) {
            assertThat(reader.awaitCaughtUp(WAIT).seq()).isEqualTo(N);
            assertThat(reader.messages()).extracting(ServerFrame.Message::id).containsExactlyElementsOf(ids);
        }
    }

    @Test
    void httpSendsAreLimitedPerUserWithARetryAfterHeader() {
        int accepted = 0;
        HttpResponse<String> limited = null;
        long started = System.nanoTime();
        for (int i = 0; i < N && limited == null; i++) {
            HttpResponse<String> r = HTTP.sendAsync(HttpRequest.newBuilder(URI.create(pigeonhole.http("/v1/messages?user=rl-http&device=d")))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"id\":\"h-" + i + "\",\"to\":\"rl-dan\",\"body\":1}")).build(),
                    HttpResponse.BodyHandlers.ofString()).join();
            if (r.statusCode() == 429) {
                limited = r;
            } else {
                assertThat(r.statusCode()).isEqualTo(202);
                accepted++;
            }
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        assertThat(limited).as("HTTP sends are limited per user (%d accepted in %.1f s)", accepted, seconds).isNotNull();
        assertThat(accepted).as("the burst of 30, plus 6/s").isBetween(30, 30 + (int) Math.ceil(6 * seconds) + 1);
        assertThat(limited.headers().firstValue("Retry-After")).isPresent();
        assertThat(limited.body()).contains("\"code\":\"rate_limited\"");
    }

    @Test
    void shadowRequestsSpendTheUsersSendBudget() {
        int accepted = 0;
        List<ServerFrame.ShadowRejected> limited = new ArrayList<>();
        try (TestInbox app = new TestInbox(pigeonhole.ws(""), "rl-shadow", "phone", "", true)) {
            app.awaitCaughtUp(WAIT);
            for (int i = 0; i < N; i++) {
                app.sendRaw("{\"type\":\"shadow_update\",\"thing\":\"lamp\",\"clientToken\":\"s-" + i
                        + "\",\"state\":{\"desired\":{\"n\":" + i + "}}}");
            }
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (accepted + limited.size() < N && System.nanoTime() < deadline) {
                ServiceProcess.sleep(20);
                accepted = (int) app.frames().stream().filter(f -> f instanceof ServerFrame.ShadowAccepted).count();
                limited = app.frames().stream().filter(f -> f instanceof ServerFrame.ShadowRejected)
                        .map(f -> (ServerFrame.ShadowRejected) f).toList();
            }
        }
        assertThat(accepted + limited.size()).as("every request answered").isEqualTo(N);
        assertThat(limited).as("over the user's burst of 30").isNotEmpty().allSatisfy(r -> {
            assertThat(r.code()).isEqualTo(ErrorCode.RATE_LIMITED);
            assertThat(r.retryAfterMs()).isPositive();
        });
        assertThat(accepted).isGreaterThanOrEqualTo(30);
    }

    @Test
    void theSdkWaitsOutRateLimitsAndKeepsItsOrder() throws Exception {
        int n = 60; // three times the per-connection burst: ~8 s at 5/s
        Recorder received = new Recorder();
        try (PigeonholeClient sender = PigeonholeClient.start(ClientOptions.builder(URI.create(pigeonhole.ws("")),
                "rl-sdk", "phone").dataDir(STACK.dir("rl-sdk")).build(), new Recorder());
             PigeonholeClient recipient = PigeonholeClient.start(ClientOptions.builder(URI.create(pigeonhole.ws("")),
                     "rl-sdk-peer", "phone").dataDir(STACK.dir("rl-sdk-peer")).window(1024).build(), received)) {
            List<Outgoing> sent = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                sent.add(sender.sendText("rl-sdk-peer", "m" + i));
            }
            for (Outgoing m : sent) {
                m.settled().toCompletableFuture().get(120, TimeUnit.SECONDS);
            }
            assertThat(sent).allMatch(m -> m.state() == SendState.ACCEPTED);
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (received.from("rl-sdk").size() < n && System.nanoTime() < deadline) {
                ServiceProcess.sleep(50);
            }
            assertThat(received.from("rl-sdk")).extracting(m -> m.text())
                    .containsExactlyElementsOf(IntStream.range(0, n).mapToObj(i -> "m" + i).toList());
        }
    }
}
