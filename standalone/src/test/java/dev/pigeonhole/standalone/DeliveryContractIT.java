package dev.pigeonhole.standalone;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pigeonhole.client.ClientOptions;
import dev.pigeonhole.client.ConnectionState;
import dev.pigeonhole.client.HistoryPage;
import dev.pigeonhole.client.Outgoing;
import dev.pigeonhole.client.PigeonholeClient;
import dev.pigeonhole.client.Receipt;
import dev.pigeonhole.protocol.CloseCode;
import dev.pigeonhole.protocol.ErrorCode;
import com.fasterxml.jackson.databind.JsonNode;
import dev.pigeonhole.protocol.Json;
import dev.pigeonhole.protocol.ServerFrame;
import dev.pigeonhole.records.DeviceList;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The delivery contract beyond one device, on the real stack: device registration and listing, removal, receipts,
 * groups with membership changes, newest-first catch-up with backfill.
 */
class DeliveryContractIT {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    @RegisterExtension
    static final StandaloneExtension STACK = new StandaloneExtension("delivery-contract-it");
    private static ServiceProcess pigeonhole;

    @BeforeAll
    static void stack() {
        pigeonhole = STACK.process();
    }

    @Test
    void concurrentSendersKeepTheirOrderAndEveryDeviceSeesTheSameSequence() throws Exception {
        int senders = 5;
        int each = 100;
        try (TestInbox phone = new TestInbox(pigeonhole.ws(""), "co", "phone", "after=0&window=1024", true);
             TestInbox laptop = new TestInbox(pigeonhole.ws(""), "co", "laptop", "after=0&window=1024", true)) {
            phone.awaitCaughtUp(WAIT);
            laptop.awaitCaughtUp(WAIT);
            List<Thread> threads = IntStream.range(0, senders).mapToObj(s -> new Thread(() -> {
                try (TestSender sender = new TestSender(pigeonhole.ws(""), "co-sender-" + s, "phone")) {
                    List<String> ids = IntStream.range(0, each).mapToObj(i -> s + "-" + i).toList();
                    ids.forEach(id -> sender.send(id, "co", "{\"n\":\"" + id + "\"}"));
                    sender.awaitReplies(ids, 1, WAIT);
                }
            })).toList();
            threads.forEach(Thread::start);
            for (Thread t : threads) {
                t.join();
            }
            phone.awaitMessages(senders * each, WAIT);
            laptop.awaitMessages(senders * each, WAIT);
            ServiceProcess.sleep(300);
            assertThat(phone.seqs()).containsExactlyElementsOf(OfflineDeliveryIT.range(1, senders * each));
            List<String> order = phone.messages().stream().map(ServerFrame.Message::id).toList();
            assertThat(laptop.messages().stream().map(ServerFrame.Message::id).toList())
                    .as("both devices see one sequence").isEqualTo(order);
            for (int s = 0; s < senders; s++) {
                String prefix = s + "-";
                assertThat(order.stream().filter(id -> id.startsWith(prefix)).toList()).as("sender %d's order", s)
                        .containsExactlyElementsOf(IntStream.range(0, each).mapToObj(i -> prefix + i).toList());
            }
        }
    }

    @Test
    void eachDeviceHasItsCursorANewDeviceStartsAtTheTailAndARemovedDeviceIsClosed() throws Exception {
        send("md-sender", "md", 1, 2);
        pigeonhole.awaitStored("md", 2, WAIT);
        try (TestInbox phone = new TestInbox(pigeonhole.ws(""), "md", "phone", "", true)) {
            assertThat(phone.awaitCaughtUp(WAIT).seq()).isEqualTo(2);
            assertThat(phone.seqs()).as("the first device gets what waited").containsExactly(1L, 2L);
            pigeonhole.awaitCursor("md", "phone", 2, WAIT);
            try (TestInbox laptop = new TestInbox(pigeonhole.ws(""), "md", "laptop", "", false)) {
                assertThat(laptop.awaitFrame(ServerFrame.Backlog.class, b -> true, WAIT).count())
                        .as("a further device starts at the tail").isZero();
                laptop.awaitCaughtUp(WAIT);
                send("md-sender", "md", 3, 3);
                phone.awaitMessages(3, WAIT);
                laptop.awaitMessages(1, WAIT);
                assertThat(laptop.seqs()).containsExactly(3L);

                DeviceList devices = devices("md");
                assertThat(devices.devices()).extracting(DeviceList.Device::device, DeviceList.Device::connected)
                        .containsExactly(org.assertj.core.groups.Tuple.tuple("laptop", true),
                                org.assertj.core.groups.Tuple.tuple("phone", true));
                pigeonhole.awaitCursor("md", "phone", 3, WAIT);
                assertThat(devices("md").devices()).filteredOn(d -> d.device().equals("laptop"))
                        .extracting(DeviceList.Device::cursor).containsExactly(2L); // laptop acked nothing

                HttpResponse<String> removed = HTTP.send(HttpRequest.newBuilder(URI.create(
                        pigeonhole.http("/v1/devices/laptop?user=md&device=phone"))).DELETE().build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(removed.statusCode()).isEqualTo(204);
                assertThat(laptop.closed().get(10, TimeUnit.SECONDS)).isEqualTo(CloseCode.DEVICE_REMOVED.code());
                assertThat(devices("md").devices()).extracting(DeviceList.Device::device).containsExactly("phone");
                assertThat(phone.closed()).isNotDone();
            }
        }
    }

    @Test
    void sendersGetDeliveredAndReadReceiptsAggregatedOverTheRecipientsDevices() throws Exception {
        try (TestInbox bobPhone = new TestInbox(pigeonhole.ws(""), "rc-bob", "phone", "", false);
             TestInbox bobLaptop = new TestInbox(pigeonhole.ws(""), "rc-bob", "laptop", "after=0", false);
             TestInbox alice = new TestInbox(pigeonhole.ws(""), "rc-alice", "phone", "", true)) {
            bobPhone.awaitCaughtUp(WAIT);
            bobLaptop.awaitCaughtUp(WAIT);
            alice.awaitCaughtUp(WAIT);
            await(() -> devices("rc-bob").devices().size() == 2);
            send("rc-alice", "rc-bob", 1, 2);
            bobPhone.awaitMessages(2, WAIT);
            bobLaptop.awaitMessages(2, WAIT);

            bobPhone.ack(2);
            ServerFrame.Receipt first = alice.awaitFrame(ServerFrame.Receipt.class, r -> true, WAIT);
            assertThat(first.by()).isEqualTo("rc-bob");
            assertThat(first.status()).isEqualTo(ServerFrame.Receipt.Status.DELIVERED);
            assertThat(first.messages()).containsExactly(new ServerFrame.Receipt.Item("m-1", "rc-bob", 1, 2),
                    new ServerFrame.Receipt.Item("m-2", "rc-bob", 1, 2));
            bobLaptop.ack(1);
            alice.awaitFrame(ServerFrame.Receipt.class, r -> r.messages().equals(
                    List.of(new ServerFrame.Receipt.Item("m-1", "rc-bob", 2, 2))), WAIT);
            bobLaptop.sendRaw("{\"type\":\"read\",\"seq\":2}");
            ServerFrame.Receipt read = alice.awaitFrame(ServerFrame.Receipt.class,
                    r -> r.status() == ServerFrame.Receipt.Status.READ, WAIT);
            assertThat(read.messages()).extracting(ServerFrame.Receipt.Item::id).containsExactly("m-1", "m-2");
            // receipts are inbox entries of alice's: numbered after her own copies of m-1 and m-2
            assertThat(alice.frames().stream().filter(f -> f instanceof ServerFrame.Entry).map(f -> ((ServerFrame.Entry) f).seq()))
                    .containsExactly(1L, 2L, 3L, 4L, 5L);
        }
    }

    @Test
    void aGroupSendReachesTheMembersOfTheMomentAndOnlyMembersPost() throws Exception {
        assertThat(http("POST", "/v1/groups?user=g-alice&device=pc", "{\"id\":\"team\",\"members\":[\"g-bob\",\"g-carol\"]}"))
                .startsWith("201 {\"id\":\"team\",\"owner\":\"g-alice\"");
        assertThat(http("POST", "/v1/groups/team/accept?user=g-bob&device=pc", "")).startsWith("200 ");
        assertThat(http("POST", "/v1/groups/team/accept?user=g-carol&device=pc", "")).startsWith("200 ");
        assertThat(http("POST", "/v1/groups?user=g-bob&device=pc", "{\"id\":\"team\"}")).startsWith("409 {\"type\":\"error\",\"code\":\"conflict\"");
        assertThat(http("GET", "/v1/groups/team?user=g-mallory&device=pc", null)).as("hidden from non-members")
                .startsWith("404 {\"type\":\"error\",\"code\":\"not_found\"");
        assertThat(http("GET", "/v1/groups/nope?user=g-alice&device=pc", null)).startsWith("404 {\"type\":\"error\",\"code\":\"not_found\"");
        assertThat(http("PUT", "/v1/groups/team/members/g-dave?user=g-bob&device=pc", "")).startsWith("403 ");

        try (TestInbox bob = new TestInbox(pigeonhole.ws(""), "g-bob", "phone", "", true);
             TestInbox carol = new TestInbox(pigeonhole.ws(""), "g-carol", "phone", "", true);
             TestInbox aliceTablet = new TestInbox(pigeonhole.ws(""), "g-alice", "tablet", "", true);
             TestSender alice = new TestSender(pigeonhole.ws(""), "g-alice", "pc");
             TestSender mallory = new TestSender(pigeonhole.ws(""), "g-mallory", "pc")) {
            bob.awaitCaughtUp(WAIT);
            carol.awaitCaughtUp(WAIT);
            aliceTablet.awaitCaughtUp(WAIT);
            alice.send("g-1", "group:team", "1");
            assertThat(alice.awaitReply("g-1", WAIT)).isEqualTo(new ServerFrame.Accepted("g-1"));
            mallory.send("x-1", "group:team", "1");
            assertThat(mallory.awaitReply("x-1", WAIT)).isInstanceOfSatisfying(ServerFrame.Rejected.class,
                    r -> assertThat(r.code()).isEqualTo(ErrorCode.NOT_FOUND));
            bob.awaitMessages(1, WAIT);
            carol.awaitMessages(1, WAIT);
            aliceTablet.awaitMessages(1, WAIT);
            assertThat(bob.messages().get(0).to()).isEqualTo("group:team");
            assertThat(aliceTablet.messages().get(0).own()).as("the sender's other devices get it").isTrue();

            assertThat(http("DELETE", "/v1/groups/team/members/g-carol?user=g-alice&device=pc", null)).startsWith("200 ");
            assertThat(http("PUT", "/v1/groups/team/members/g-dave?user=g-alice&device=pc", "{\"role\":\"admin\"}"))
                    .startsWith("200 ").contains("{\"user\":\"g-dave\",\"role\":\"admin\",\"status\":\"invited\",\"invitedBy\":\"g-alice\"}");
            assertThat(http("POST", "/v1/groups/team/accept?user=g-dave&device=pc", "")).startsWith("200 ")
                    .contains("{\"user\":\"g-dave\",\"role\":\"admin\",\"status\":\"joined\"}");
            try (TestInbox dave = new TestInbox(pigeonhole.ws(""), "g-dave", "phone", "", true)) {
                dave.awaitCaughtUp(WAIT);
                alice.send("g-2", "group:team", "2");
                alice.awaitReply("g-2", WAIT);
                bob.awaitMessages(2, WAIT);
                dave.awaitMessages(1, WAIT);
                assertThat(dave.messages()).extracting(ServerFrame.Message::id).containsExactly("g-2");
            }
            ServiceProcess.sleep(500);
            assertThat(carol.messages()).as("carol left before g-2").extracting(ServerFrame.Message::id).containsExactly("g-1");
            assertThat(bob.messages()).extracting(ServerFrame.Message::id).containsExactly("g-1", "g-2");
        }
    }

    @Test
    void newestFirstSkipsAnOldBacklogAndTheClientBackfillsOnDemand() throws Exception {
        send("nf-sender", "nf", 1, 20);
        pigeonhole.awaitStored("nf", 20, WAIT);
        try (TestInbox inbox = new TestInbox(pigeonhole.ws(""), "nf", "phone", "newest=5", true)) {
            inbox.awaitCaughtUp(WAIT);
            assertThat(inbox.frames().get(0)).isInstanceOfSatisfying(ServerFrame.Backlog.class, b -> {
                assertThat(b.count()).isEqualTo(20);
                assertThat(b.skipped()).isEqualTo(new ServerFrame.Range(1, 15));
            });
            assertThat(inbox.seqs()).containsExactlyElementsOf(LongRange.of(16, 20));
            inbox.sendRaw("{\"type\":\"fetch\",\"from\":1,\"to\":15}");
            ServerFrame.History history = inbox.awaitFrame(ServerFrame.History.class, h -> true, WAIT);
            assertThat(history.entries()).extracting(ServerFrame.Entry::seq).containsExactlyElementsOf(LongRange.of(1, 15));
            assertThat(history.entries()).extracting(e -> ((ServerFrame.Message) e).id())
                    .containsExactlyElementsOf(IntStream.rangeClosed(1, 15).mapToObj(i -> "m-" + i).toList());
        }
    }

    @Test
    void theSdkSeesReceiptsSendsReadMarkersAndStopsWhenAnotherCopyOfItsDeviceConnects() throws Exception {
        Recorder aliceSaw = new Recorder();
        Recorder bobSaw = new Recorder();
        try (PigeonholeClient alice = sdk("sdk-alice", "phone", aliceSaw);
             PigeonholeClient bob = sdk("sdk-bob", "phone", bobSaw)) {
            Outgoing hi = alice.sendText("sdk-bob", "hi");
            hi.settled().toCompletableFuture().get(30, TimeUnit.SECONDS);
            await(() -> bobSaw.messages().size() == 1);
            await(() -> aliceSaw.receipts().size() == 1); // bob's client acked it
            bob.markRead(bobSaw.messages().get(0).seq());
            await(() -> aliceSaw.receipts().size() == 2);
            assertThat(aliceSaw.receipts()).extracting(Receipt::status)
                    .containsExactly(Receipt.Status.DELIVERED, Receipt.Status.READ);
            assertThat(aliceSaw.receipts().get(0).messages()).containsExactly(
                    new Receipt.Item(hi.id(), "sdk-bob", 1, 1));
            assertThat(aliceSaw.entrySeqs()).as("own copy, then the two receipts").containsExactly(1L, 2L, 3L);

            // a second install of bob's phone takes over the inbox; the first stops instead of fighting back
            Recorder secondSaw = new Recorder();
            try (PigeonholeClient second = sdk("sdk-bob", "phone", secondSaw, "second")) {
                await(() -> bobSaw.refusals().contains(CloseCode.DISPLACED.code()));
                await(() -> second.state() == ConnectionState.ONLINE);
                ServiceProcess.sleep(1000);
                assertThat(second.state()).isEqualTo(ConnectionState.ONLINE);
                assertThat(bob.state()).isEqualTo(ConnectionState.OFFLINE);
            }
        }
    }

    @Test
    void theSdkCatchesUpNewestFirstAndFetchesTheSkippedRange() throws Exception {
        send("nf-sdk-sender", "nf-sdk", 1, 30);
        pigeonhole.awaitStored("nf-sdk", 30, WAIT);
        Recorder saw = new Recorder();
        try (PigeonholeClient client = PigeonholeClient.start(ClientOptions.builder(URI.create(pigeonhole.ws("")), "nf-sdk", "phone")
                .dataDir(STACK.dir("nf-sdk")).newest(10).build(), saw)) {
            await(() -> saw.messages().size() == 10);
            assertThat(saw.backlogs()).singleElement().satisfies(b -> assertThat(List.of(b.skippedFrom(), b.skippedTo())).containsExactly(1L, 20L));
            assertThat(saw.messages()).extracting(m -> m.seq()).containsExactlyElementsOf(LongRange.of(21, 30));
            HistoryPage older = client.fetch(1, 20).toCompletableFuture().get(30, TimeUnit.SECONDS);
            assertThat(older.entries()).extracting(e -> Json.read(e.json(), JsonNode.class).get("id").asText())
                    .containsExactlyElementsOf(IntStream.rangeClosed(1, 20).mapToObj(i -> "m-" + i).toList());
            assertThat(client.position()).as("fetched entries do not move the position").isEqualTo(30);
        }
    }

    private static PigeonholeClient sdk(String user, String device, Recorder recorder) {
        return sdk(user, device, recorder, "first");
    }

    private static PigeonholeClient sdk(String user, String device, Recorder recorder, String install) {
        return PigeonholeClient.start(ClientOptions.builder(URI.create(pigeonhole.ws("")), user, device)
                .dataDir(STACK.dir(user + "-" + device + "-" + install)).build(), recorder);
    }

    private static final class LongRange {
        static List<Long> of(long from, long to) {
            return java.util.stream.LongStream.rangeClosed(from, to).boxed().toList();
        }
    }

    /** Sends m-from..m-to from {@code from} to {@code to} and waits until all are accepted. */
    private static void send(String from, String to, int first, int last) {
        try (TestSender sender = new TestSender(pigeonhole.ws(""), from, "phone")) {
            List<String> ids = IntStream.rangeClosed(first, last).mapToObj(i -> "m-" + i).toList();
            ids.forEach(id -> sender.send(id, to, "\"" + id + "\""));
            sender.awaitReplies(ids, 1, WAIT);
            assertThat(ids).allMatch(id -> sender.replies(id).get(0) instanceof ServerFrame.Accepted);
        }
    }

    private static DeviceList devices(String user) throws Exception {
        HttpResponse<byte[]> r = HTTP.send(HttpRequest.newBuilder(URI.create(
                pigeonhole.http("/v1/devices?user=" + user + "&device=admin"))).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(r.statusCode()).isEqualTo(200);
        return Json.read(r.body(), DeviceList.class);
    }

    private static String http(String method, String pathAndQuery, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(pigeonhole.http(pathAndQuery)));
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
        return r.statusCode() + " " + r.body();
    }

    private static void await(java.util.concurrent.Callable<Boolean> condition) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.call()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within " + WAIT);
            }
            ServiceProcess.sleep(50);
        }
    }
}
