package dev.pigeonhole.standalone;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pigeonhole.protocol.ServerFrame;
import dev.pigeonhole.records.Topics;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * Two router and two delivery instances on one broker. Users connected to either delivery instance get their live
 * entries; inboxes owned by either router are read through either; each delivery instance reads only the push
 * records addressed to it.
 */
class ScaleOutIT {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final int RECIPIENTS = 10;
    private static final int SENDERS = 4;
    private static final int PER_PAIR = 25;

    @Test
    void usersOnEitherDeliveryInstanceGetTheirLiveAndOfflineEntries() throws Exception {
        assertThat(Topics.pushPartition("delivery-a", Cluster.PUSH_PARTITIONS))
                .as("the two instances read different push partitions")
                .isNotEqualTo(Topics.pushPartition("delivery-b", Cluster.PUSH_PARTITIONS));
        try (Cluster cluster = Cluster.start("scale-out-it")) {
            ServiceProcess router1 = cluster.router("router-1");
            ServiceProcess router2 = cluster.router("router-2");
            ServiceProcess gateway = cluster.gateway("gateway");
            ServiceProcess deliveryA = cluster.delivery("delivery-a", router1);
            ServiceProcess deliveryB = cluster.delivery("delivery-b", router2);
            Cluster.startAll(router1, router2, gateway, deliveryA, deliveryB);

            List<String> recipients = IntStream.range(0, RECIPIENTS).mapToObj(i -> "user-" + i).toList();
            // Both routers own some of the inboxes once the group has settled.
            org.awaitility.Awaitility.await().atMost(WAIT).untilAsserted(() -> {
                assertThat(recipients.stream().filter(u -> ownedLocally(router1, u)).count()).as("router-1's inboxes").isPositive();
                assertThat(recipients.stream().filter(u -> ownedLocally(router2, u)).count()).as("router-2's inboxes").isPositive();
            });

            List<TestInbox> inboxes = new ArrayList<>();
            for (int r = 0; r < RECIPIENTS; r++) {
                ServiceProcess delivery = r % 2 == 0 ? deliveryA : deliveryB;
                inboxes.add(new TestInbox(delivery.ws(""), recipients.get(r), "phone", "after=0", true));
            }
            // one user with a device on each delivery instance
            TestInbox multiOnA = new TestInbox(deliveryA.ws(""), "multi", "phone", "after=0", true);
            TestInbox multiOnB = new TestInbox(deliveryB.ws(""), "multi", "laptop", "after=0", true);
            for (TestInbox inbox : inboxes) {
                inbox.awaitCaughtUp(WAIT);
            }
            multiOnA.awaitCaughtUp(WAIT);
            multiOnB.awaitCaughtUp(WAIT);

            List<TestSender> senders = IntStream.range(0, SENDERS)
                    .mapToObj(s -> new TestSender(gateway.ws(""), "sender-" + s, "phone")).toList();
            List<String> multiIds = new ArrayList<>();
            for (int i = 0; i < PER_PAIR; i++) {
                for (int s = 0; s < SENDERS; s++) {
                    for (String to : recipients) {
                        senders.get(s).send(id(s, to, i), to, "{\"i\":" + i + "}");
                    }
                    String multiId = id(s, "multi", i);
                    senders.get(s).send(multiId, "multi", "{\"i\":" + i + "}");
                    multiIds.add(multiId);
                }
            }
            for (int s = 0; s < SENDERS; s++) {
                int sender = s;
                List<String> ids = new ArrayList<>();
                for (int i = 0; i < PER_PAIR; i++) {
                    for (String to : recipients) {
                        ids.add(id(sender, to, i));
                    }
                }
                senders.get(s).awaitReplies(ids, 1, WAIT);
            }

            int perRecipient = SENDERS * PER_PAIR;
            for (int r = 0; r < RECIPIENTS; r++) {
                TestInbox inbox = inboxes.get(r);
                inbox.awaitMessages(perRecipient, WAIT);
            }
            multiOnA.awaitMessages(perRecipient, WAIT);
            multiOnB.awaitMessages(perRecipient, WAIT);
            ServiceProcess.sleep(500);
            for (int r = 0; r < RECIPIENTS; r++) {
                assertEveryMessageOnceInSenderOrder(inboxes.get(r), recipients.get(r), perRecipient);
            }
            assertEveryMessageOnceInSenderOrder(multiOnA, "multi", perRecipient);
            assertThat(multiOnB.messages()).extracting(ServerFrame.Message::id)
                    .containsExactlyElementsOf(multiOnA.messages().stream().map(ServerFrame.Message::id).toList());

            // Offline: a device that was not connected reads every inbox's backlog through the other instance.
            for (int r = 0; r < RECIPIENTS; r++) {
                ServiceProcess other = r % 2 == 0 ? deliveryB : deliveryA;
                try (TestInbox tablet = new TestInbox(other.ws(""), recipients.get(r), "tablet", "after=0&window=1024", true)) {
                    assertThat(tablet.awaitCaughtUp(WAIT).seq()).isEqualTo(perRecipient);
                    assertThat(tablet.seqs()).containsExactlyElementsOf(OfflineDeliveryIT.range(1, perRecipient));
                }
            }

            for (ServiceProcess delivery : List.of(deliveryA, deliveryB)) {
                assertThat(delivery.metric("pigeonhole_delivery_push_records_total{addressed=\"this-instance\"}"))
                        .as(delivery + " read its own push records").isPositive();
                assertThat(delivery.metric("pigeonhole_delivery_push_records_total{addressed=\"other-instance\"}"))
                        .as(delivery + " read no push record meant for another instance").isZero();
            }
            inboxes.forEach(TestInbox::close);
            multiOnA.close();
            multiOnB.close();
            senders.forEach(TestSender::close);
        }
    }

    private static void assertEveryMessageOnceInSenderOrder(TestInbox inbox, String user, int count) {
        List<ServerFrame.Message> messages = inbox.messages();
        assertThat(messages).as(user).extracting(ServerFrame.Message::seq)
                .containsExactlyElementsOf(OfflineDeliveryIT.range(1, count));
        for (int s = 0; s < SENDERS; s++) {
            String from = "sender-" + s;
            int sender = s;
            assertThat(messages.stream().filter(m -> m.from().equals(from)).map(ServerFrame.Message::id))
                    .as(user + " from " + from)
                    .containsExactlyElementsOf(IntStream.range(0, PER_PAIR).mapToObj(i -> id(sender, user, i)).toList());
        }
    }

    private static boolean ownedLocally(ServiceProcess router, String user) {
        try {
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create(router.http("/internal/v1/inbox/" + user + "?local=true&limit=1")))
                            .header("X-Pigeonhole-Internal", ServiceProcess.INTERNAL_SECRET).build(),
                    HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static String id(int sender, String to, int i) {
        return "s" + sender + "-" + to + "-" + i;
    }
}
