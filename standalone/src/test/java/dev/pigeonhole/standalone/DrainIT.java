package dev.pigeonhole.standalone;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pigeonhole.protocol.ServerFrame;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Instances stopped with SIGTERM drain their sockets: not ready at once, upgrades answered 503 + {@code Retry-After},
 * sockets closed with 1001 and the reconnect hint at the drain rate (spread over time, not all in one instant), and
 * nothing lost — messages sent during a delivery drain reach every client once it reconnected to the other instance;
 * a gateway answers the sends in flight before it closes the socket, and the client sends the rest elsewhere.
 */
class DrainIT {
    private static final int CLIENTS = 100;
    private static final int RATE = 50;
    private static final int SENDS = 500;
    private static final String HINT = "draining; reconnect with backoff";
    private static final Duration WAIT = Duration.ofSeconds(30);

    @Test
    void stoppedInstancesCloseTheirSocketsAtTheDrainRateAndLoseNothing() throws Exception {
        try (Cluster cluster = Cluster.start("drain-it")) {
            ServiceProcess router = cluster.router("router");
            ServiceProcess gateway = cluster.gateway("gateway", Map.of("pigeonhole.auth.dev-identity", "true",
                    "pigeonhole.gateway.drain-rate", Integer.toString(RATE)));
            ServiceProcess gateway2 = cluster.gateway("gateway-2");
            ServiceProcess deliveryA = cluster.delivery("delivery-a", router, Map.of("pigeonhole.auth.dev-identity", "true",
                    "pigeonhole.delivery.drain-rate", Integer.toString(RATE), "pigeonhole.delivery.drain-timeout", "PT30S"));
            ServiceProcess deliveryB = cluster.delivery("delivery-b", router);
            Cluster.startAll(router, gateway, gateway2, deliveryA, deliveryB);

            deliveryDrain(gateway, deliveryA, deliveryB);
            gatewayDrain(router, gateway, gateway2, deliveryB);
        }
    }

    private static void deliveryDrain(ServiceProcess gateway, ServiceProcess deliveryA, ServiceProcess deliveryB)
            throws Exception {
        List<String> users = IntStream.range(0, CLIENTS).mapToObj(i -> "drain-" + i).toList();
        try (TestSender alice = new TestSender(gateway.ws(""), "drain-alice", "phone")) {
            List<String> before = users.stream().map(u -> "before-" + u).toList();
            for (int i = 0; i < CLIENTS; i++) {
                alice.send(before.get(i), users.get(i), "1");
            }
            alice.awaitReplies(before, 1, WAIT);
            List<TestInbox> onA = new ArrayList<>();
            for (String user : users) {
                onA.add(new TestInbox(deliveryA.ws(""), user, "phone", "after=0", true));
            }
            for (TestInbox inbox : onA) {
                assertThat(inbox.awaitCaughtUp(WAIT).seq()).isEqualTo(1);
            }

            CompletableFuture<Void> stopped = CompletableFuture.runAsync(deliveryA::stop);
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (onA.stream().noneMatch(i -> i.closed().isDone())) {
                assertThat(System.nanoTime()).as("a first socket closed after SIGTERM").isLessThan(deadline);
                ServiceProcess.sleep(5);
            }
            // The drain is under way.
            HttpResponse<String> readiness = deliveryA.managementGet("/q/health/ready");
            Throwable refused = null;
            try {
                new TestInbox(deliveryA.ws(""), "drain-late", "phone", "", true).close();
            } catch (CompletionException e) {
                refused = e;
            }
            long stillOpen = onA.stream().filter(i -> !i.closed().isDone()).count();
            List<String> during = users.stream().map(u -> "during-" + u).toList();
            for (int i = 0; i < CLIENTS; i++) {
                alice.send(during.get(i), users.get(i), "2");
            }
            assertThat(stillOpen).as("checked while sockets were still open").isPositive();
            assertThat(readiness.statusCode()).as("not ready while draining: " + readiness.body()).isEqualTo(503);
            assertThat(refused).as("an upgrade during the drain is refused").isNotNull();
            assertThat(WsConnection.retryAfter(refused)).as("with a Retry-After: " + refused)
                    .isBetween(Duration.ofSeconds(1), Duration.ofSeconds(5));
            alice.awaitReplies(during, 1, WAIT);
            assertThat(during).allMatch(id -> alice.replies(id).equals(List.of(new ServerFrame.Accepted(id))));

            for (TestInbox inbox : onA) {
                assertThat(inbox.closed().get(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(1001);
                assertThat(inbox.closeReason()).isEqualTo(HINT);
            }
            stopped.get(WAIT.toSeconds(), TimeUnit.SECONDS);
            long first = onA.stream().mapToLong(TestInbox::closedAtNanos).min().orElseThrow();
            long last = onA.stream().mapToLong(TestInbox::closedAtNanos).max().orElseThrow();
            // 100 closes at 50/s: the last is made 1.98 s after the first; all at once would be milliseconds.
            assertThat(Duration.ofNanos(last - first)).as("closes spread by the drain rate")
                    .isGreaterThanOrEqualTo(Duration.ofSeconds(1));

            // Every client reconnects to the other instance from what it got, and gets the rest: nothing lost.
            List<TestInbox> onB = new ArrayList<>();
            for (int i = 0; i < CLIENTS; i++) {
                long after = onA.get(i).seqs().stream().mapToLong(Long::longValue).max().orElse(0);
                onB.add(new TestInbox(deliveryB.ws(""), users.get(i), "phone", "after=" + after, true));
            }
            for (int i = 0; i < CLIENTS; i++) {
                assertThat(onB.get(i).awaitCaughtUp(WAIT).seq()).isEqualTo(2);
                assertThat(Stream.concat(onA.get(i).messages().stream(), onB.get(i).messages().stream())
                        .map(ServerFrame.Message::id)).as(users.get(i)).containsExactly(before.get(i), during.get(i));
            }
            onB.forEach(TestInbox::close);
        }
    }

    private static void gatewayDrain(ServiceProcess router, ServiceProcess gateway, ServiceProcess gateway2,
                                     ServiceProcess delivery) throws Exception {
        List<String> ids = IntStream.range(0, SENDS).mapToObj(i -> "gw-" + i).toList();
        long mark = gateway.logLength();
        try (TestSender sender = new TestSender(gateway.ws(""), "gw-sender", "phone")) {
            int sent = 0;
            for (; sent < SENDS / 2; sent++) {
                sender.send(ids.get(sent), "gw-bob", Integer.toString(sent));
            }
            CompletableFuture<Void> stopped = CompletableFuture.runAsync(gateway::stop);
            try {
                for (; sent < SENDS; sent++) {
                    sender.send(ids.get(sent), "gw-bob", Integer.toString(sent));
                }
            } catch (RuntimeException closed) {
                // the socket closed under the loop
            }
            assertThat(sender.closed().get(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(1001);
            assertThat(sender.closeReason()).isEqualTo(HINT);
            stopped.get(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertThat(gateway.logSince(mark)).as("the socket closed once its sends in flight were answered")
                    .contains("1 sockets closed at up to " + RATE + "/s, 0 at once at the drain timeout");

            List<String> answered = ids.stream().filter(id -> !sender.replies(id).isEmpty()).toList();
            assertThat(answered).allMatch(id -> sender.replies(id).equals(List.of(new ServerFrame.Accepted(id))));
            assertThat(answered).as("what the gateway started it answered; it started nothing after the drain began")
                    .containsExactlyElementsOf(ids.subList(0, answered.size()));
            List<String> unanswered = ids.subList(answered.size(), SENDS);
            System.out.printf("gateway drain: %d sends answered, %d sent again elsewhere%n", answered.size(), unanswered.size());
            try (TestSender again = new TestSender(gateway2.ws(""), "gw-sender", "phone")) {
                for (String id : unanswered) {
                    again.send(id, "gw-bob", id.substring(3));
                }
                again.awaitReplies(unanswered, 1, WAIT);
                assertThat(unanswered).allMatch(id -> again.replies(id).equals(List.of(new ServerFrame.Accepted(id))));
            }
        }
        router.awaitStored("gw-bob", SENDS, WAIT);
        try (TestInbox bob = new TestInbox(delivery.ws(""), "gw-bob", "phone", "after=0&window=1024", true)) {
            assertThat(bob.awaitCaughtUp(WAIT).seq()).isEqualTo(SENDS);
            assertThat(bob.messages()).extracting(ServerFrame.Message::id).containsExactlyElementsOf(ids);
        }
    }
}
