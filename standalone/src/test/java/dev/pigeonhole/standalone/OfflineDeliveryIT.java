package dev.pigeonhole.standalone;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.pigeonhole.protocol.ServerFrame;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.IntStream;
import java.util.stream.LongStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The offline path through the standalone stack (real broker, real sockets): S1–S4, S9. */
class OfflineDeliveryIT {
    private static final Duration WAIT = Duration.ofSeconds(60);
    @RegisterExtension
    static final StandaloneExtension STACK = new StandaloneExtension("offline-it");
    private static ServiceProcess pigeonhole;

    @BeforeAll
    static void stack() {
        pigeonhole = STACK.process();
    }

    @Test
    void offlineRecipientGetsEveryMessageExactlyOnceInOrderThenResumesAfterItsAck() {
        int n = 1000;
        List<String> ids = IntStream.rangeClosed(1, n).mapToObj(i -> String.format("m-%04d", i)).toList();
        List<String> shuffled = new ArrayList<>(ids);
        Collections.shuffle(shuffled, new Random(42));
        Set<String> resendAtOnce = new HashSet<>(shuffled.subList(0, 50));
        List<String> resendLater = shuffled.subList(50, 100);

        try (TestSender alice = new TestSender(pigeonhole.ws(""), "alice", "phone")) {
            for (int i = 1; i <= n; i++) {
                String id = ids.get(i - 1);
                alice.send(id, "bob", body(i));
                if (resendAtOnce.contains(id)) {
                    alice.send(id, "bob", body(i));
                }
            }
            alice.awaitReplies(ids, 1, WAIT);
            for (String id : resendLater) {
                alice.send(id, "bob", body(ids.indexOf(id) + 1));
            }
            alice.awaitReplies(resendLater, 2, WAIT);
            alice.awaitReplies(List.copyOf(resendAtOnce), 2, WAIT);
            for (String id : ids) {
                assertThat(alice.replies(id)).as(id).allMatch(r -> r.equals(new ServerFrame.Accepted(id)));
            }
        }

        pigeonhole.awaitStored("bob", n, WAIT); // bob was offline the whole time: everything is in the store
        try (TestInbox bob = new TestInbox(pigeonhole.ws(""), "bob", "laptop", "after=0&window=1024", false)) {
            ServerFrame.CaughtUp caughtUp = bob.awaitCaughtUp(WAIT);
            assertThat(caughtUp.seq()).isEqualTo(n);
            List<ServerFrame> frames = bob.frames();
            assertThat(frames).hasSize(1 + n + 1); // backlog, the messages, caught_up
            assertThat(frames.get(0)).isInstanceOfSatisfying(ServerFrame.Backlog.class, b -> {
                assertThat(b.count()).isEqualTo(n);
                assertThat(b.oldest()).isEqualTo(1L);
            });
            assertThat(frames.get(n + 1)).isEqualTo(caughtUp);
            List<ServerFrame.Message> messages = bob.messages();
            assertThat(messages).extracting(ServerFrame.Message::seq).containsExactlyElementsOf(range(1, n));
            assertThat(messages).extracting(ServerFrame.Message::id).containsExactlyElementsOf(ids);
            for (int i = 0; i < n; i++) {
                ServerFrame.Message m = messages.get(i);
                assertThat(m.body().get("n").intValue()).isEqualTo(i + 1);
                assertThat(m.from()).isEqualTo("alice");
                assertThat(m.to()).isEqualTo("bob");
                assertThat(m.own()).isFalse();
            }
            bob.ack(500);
        }
        pigeonhole.awaitCursor("bob", "laptop", 500, WAIT);

        try (TestInbox bob = new TestInbox(pigeonhole.ws(""), "bob", "laptop", "after=500", true)) {
            assertThat(bob.awaitCaughtUp(WAIT).seq()).isEqualTo(n);
            assertThat(bob.seqs()).containsExactlyElementsOf(range(501, n));
        }
        pigeonhole.awaitCursor("bob", "laptop", n, WAIT); // the second connection acked as it read


        // Self-sync: alice's other devices see what she sent, once each, marked as own.
        pigeonhole.awaitStored("alice", n, WAIT);
        try (TestInbox alicesTablet = new TestInbox(pigeonhole.ws(""), "alice", "tablet", "after=0", true)) {
            alicesTablet.awaitCaughtUp(WAIT);
            assertThat(alicesTablet.messages()).extracting(ServerFrame.Message::id).containsExactlyElementsOf(ids);
            assertThat(alicesTablet.messages()).allMatch(ServerFrame.Message::own);
        }
    }

    @Test
    void withoutAfterADeviceResumesFromItsDurableAck() {
        try (TestSender alice = new TestSender(pigeonhole.ws(""), "alice", "phone")) {
            for (int i = 1; i <= 10; i++) {
                alice.send("c-" + i, "carol", body(i));
            }
            alice.awaitReplies(IntStream.rangeClosed(1, 10).mapToObj(i -> "c-" + i).toList(), 1, WAIT);
        }
        pigeonhole.awaitStored("carol", 10, WAIT);
        try (TestInbox carol = new TestInbox(pigeonhole.ws(""), "carol", "phone", "", false)) {
            carol.awaitCaughtUp(WAIT);
            assertThat(carol.seqs()).containsExactlyElementsOf(range(1, 10));
            carol.ack(7);
        }
        await().atMost(WAIT).untilAsserted(() -> {
            try (TestInbox carol = new TestInbox(pigeonhole.ws(""), "carol", "phone", "", false)) {
                carol.awaitCaughtUp(WAIT);
                assertThat(carol.seqs()).containsExactly(8L, 9L, 10L);
            }
        });
    }

    @Test
    void liveMessagesFollowCaughtUpAndAreNotRepeated() {
        try (TestInbox dave = new TestInbox(pigeonhole.ws(""), "dave", "phone", "after=0", true);
             TestSender erin = new TestSender(pigeonhole.ws(""), "erin", "phone")) {
            // dave's connect created his inbox: its epoch is known from the first frame on
            ServerFrame.CaughtUp caughtUp = dave.awaitCaughtUp(WAIT);
            assertThat(caughtUp.seq()).isZero();
            assertThat(caughtUp.epoch()).isPositive();
            for (int i = 1; i <= 200; i++) {
                erin.send("live-" + i, "dave", body(i));
            }
            dave.awaitMessages(200, WAIT);
            ServiceProcess.sleep(300);
            assertThat(dave.seqs()).containsExactlyElementsOf(range(1, 200));
            assertThat(dave.frames().get(0)).isEqualTo(new ServerFrame.Backlog(0, null, null, 0, caughtUp.epoch(), null));
            assertThat(dave.frames().get(1)).isInstanceOf(ServerFrame.CaughtUp.class);
        }
    }

    @Test
    void aResendOverHttpOfASocketSendIsStoredOnce() throws Exception {
        try (TestSender frank = new TestSender(pigeonhole.ws(""), "frank", "laptop")) {
            frank.send("dup-1", "grace", body(1));
            assertThat(frank.awaitReply("dup-1", WAIT)).isEqualTo(new ServerFrame.Accepted("dup-1"));
        }
        HttpResponse<String> again = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create(pigeonhole.http("/v1/messages?user=frank&device=laptop")))
                .POST(HttpRequest.BodyPublishers.ofString("{\"id\":\"dup-1\",\"to\":\"grace\",\"body\":" + body(1) + "}"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(again.statusCode()).isEqualTo(202);
        assertThat(again.body()).isEqualTo("{\"type\":\"accepted\",\"id\":\"dup-1\"}");
        HttpResponse<String> other = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create(pigeonhole.http("/v1/messages?user=frank&device=laptop")))
                .POST(HttpRequest.BodyPublishers.ofString("{\"id\":\"dup-2\",\"to\":\"grace\",\"body\":" + body(2) + "}"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(other.statusCode()).isEqualTo(202);

        pigeonhole.awaitStored("grace", 2, WAIT);
        try (TestInbox grace = new TestInbox(pigeonhole.ws(""), "grace", "phone", "after=0", true)) {
            assertThat(grace.awaitCaughtUp(WAIT).seq()).isEqualTo(2);
            assertThat(grace.messages()).extracting(ServerFrame.Message::id).containsExactly("dup-1", "dup-2");
        }
    }

    @Test
    void metricsCountSendsDeliveriesAndLatency() {
        try (TestSender hank = new TestSender(pigeonhole.ws(""), "hank", "phone");
             TestInbox ivy = new TestInbox(pigeonhole.ws(""), "ivy", "phone", "after=0", true)) {
            ivy.awaitCaughtUp(WAIT);
            double acceptedBefore = pigeonhole.metric("pigeonhole_gateway_sends_total{code=\"none\",result=\"accepted\"}");
            double tooLargeBefore = pigeonhole.metric("pigeonhole_gateway_sends_total{code=\"too_large\",result=\"rejected\"}");
            double liveBefore = pigeonhole.metric("pigeonhole_delivery_latency_seconds_count{phase=\"live\"}");
            for (int i = 1; i <= 5; i++) {
                hank.send("x-" + i, "ivy", body(i));
            }
            hank.send("x-big", "ivy", "\"" + "z".repeat(70_000) + "\"");
            hank.awaitReplies(List.of("x-1", "x-2", "x-3", "x-4", "x-5", "x-big"), 1, WAIT);
            ivy.awaitMessages(5, WAIT);
            assertThat(pigeonhole.metric("pigeonhole_gateway_connections")).isGreaterThanOrEqualTo(1);
            assertThat(pigeonhole.metric("pigeonhole_delivery_connections")).isGreaterThanOrEqualTo(1);
            assertThat(pigeonhole.metric("pigeonhole_gateway_sends_total{code=\"none\",result=\"accepted\"}") - acceptedBefore)
                    .isEqualTo(5);
            assertThat(pigeonhole.metric("pigeonhole_gateway_sends_total{code=\"too_large\",result=\"rejected\"}") - tooLargeBefore)
                    .isEqualTo(1);
            await().atMost(WAIT).untilAsserted(() -> assertThat(
                    pigeonhole.metric("pigeonhole_delivery_latency_seconds_count{phase=\"live\"}") - liveBefore).isEqualTo(5));
        }
    }

    @Test
    void theGrafanaDashboardQueriesMetricsTheServicesExpose() throws Exception {
        String dashboard = java.nio.file.Files.readString(ServiceProcess.ROOT.resolve("deploy/helm/pigeonhole/dashboards/pigeonhole.json"));
        java.util.Set<String> names = new java.util.TreeSet<>();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("pigeonhole_[a-z_]+").matcher(dashboard);
        while (m.find()) {
            names.add(m.group());
        }
        assertThat(names).hasSizeGreaterThan(5);
        String metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(pigeonhole.management("/q/metrics"))).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        assertThat(names).allSatisfy(name -> assertThat(metrics).as(name).containsPattern("(?m)^" + name + "[{ ]"));
    }

    static String body(int i) {
        return "{\"n\":" + i + ",\"text\":\"message number " + i + "\"}";
    }

    static List<Long> range(long from, long to) {
        return LongStream.rangeClosed(from, to).boxed().toList();
    }
}
