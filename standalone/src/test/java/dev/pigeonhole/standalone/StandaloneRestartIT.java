package dev.pigeonhole.standalone;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pigeonhole.protocol.Json;
import dev.pigeonhole.protocol.ServerFrame;
import dev.pigeonhole.records.DeviceList;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * Messages accepted before a restart of the standalone process are delivered after it, with the same history; the
 * sessions of a run that was killed end when the next one starts.
 */
class StandaloneRestartIT {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @Test
    void acceptedMessagesSurviveARestartAndSeqsContinue() throws Exception {
        Path data = Files.createTempDirectory("pigeonhole-restart-it");
        int port = EmbeddedKafka.freePort();
        long epochBefore;
        ServiceProcess first = ServiceProcess.standalone("restart-it-1", port, data).start().awaitReady(Duration.ofSeconds(90));
        try {
            List<String> ids = IntStream.rangeClosed(1, 50).mapToObj(i -> "r-" + i).toList();
            try (TestSender alice = new TestSender(first.ws(""), "alice", "phone")) {
                ids.forEach(id -> alice.send(id, "zoe", "\"" + id + "\""));
                alice.awaitReplies(ids, 1, WAIT);
            }
            first.awaitStored("zoe", 50, WAIT);
            try (TestInbox zoe = new TestInbox(first.ws(""), "zoe", "phone", "after=0", false)) {
                epochBefore = zoe.awaitCaughtUp(WAIT).epoch();
                zoe.ack(10);
            }
            first.awaitCursor("zoe", "phone", 10, WAIT);
            try (TestInbox open = new TestInbox(first.ws(""), "zoe", "tablet", "", true)) {
                open.awaitCaughtUp(WAIT);
                first.stop(); // SIGTERM, as Ctrl-C would
                assertThat(open.closed().get(10, java.util.concurrent.TimeUnit.SECONDS)).as("going away")
                        .isEqualTo(dev.pigeonhole.protocol.CloseCode.GOING_AWAY.code());
            }
        } finally {
            first.stop();
        }

        ServerFrame.CaughtUp caughtUp;
        ServiceProcess second = ServiceProcess.standalone("restart-it-2", port, data).start().awaitReady(Duration.ofSeconds(90));
        try {
            second.awaitStored("zoe", 50, WAIT);
            second.awaitCursor("zoe", "phone", 10, WAIT);
            try (TestInbox zoe = new TestInbox(second.ws(""), "zoe", "phone", "", true)) {
                caughtUp = zoe.awaitCaughtUp(WAIT);
                assertThat(caughtUp.seq()).isEqualTo(50);
                assertThat(caughtUp.epoch()).as("same history, so same epoch: no resync").isEqualTo(epochBefore);
                assertThat(zoe.seqs()).containsExactlyElementsOf(OfflineDeliveryIT.range(11, 50));
                assertThat(zoe.messages().get(0).body().textValue()).isEqualTo("r-11");
            }
            try (TestSender alice = new TestSender(second.ws(""), "alice", "phone")) {
                alice.send("r-1", "zoe", "\"resent after restart\""); // still deduplicated
                alice.send("r-51", "zoe", "\"r-51\"");
                alice.awaitReplies(List.of("r-1", "r-51"), 1, WAIT);
            }
            second.awaitStored("zoe", 51, WAIT);
            try (TestInbox zoe = new TestInbox(second.ws(""), "zoe", "tablet", "after=49&epoch=" + caughtUp.epoch(), true)) {
                assertThat(zoe.awaitCaughtUp(WAIT)).isEqualTo(new ServerFrame.CaughtUp(51, caughtUp.epoch()));
                assertThat(zoe.messages()).extracting(ServerFrame.Message::id).containsExactly("r-50", "r-51");
            }
        } finally {
            second.stop();
            TestFiles.delete(data);
        }
    }

    @Test
    void theSessionsOfAKilledRunEndAsSoonAsTheNextRunAnnouncesItself() throws Exception {
        Path data = Files.createTempDirectory("pigeonhole-restart-it");
        int port = EmbeddedKafka.freePort();
        Map<String, String> props = new TreeMap<>(ServiceProcess.GENEROUS_LIMITS);
        props.put("pigeonhole.router.retention.check-interval", "PT1S");
        ServiceProcess first = ServiceProcess.standalone("restart-it-kill-1", port, data, props).start()
                .awaitReady(Duration.ofSeconds(90));
        try (TestInbox open = new TestInbox(first.ws(""), "kz", "phone", "", true)) {
            open.awaitCaughtUp(WAIT);
            assertThat(connected(first, "kz")).containsEntry("phone", true);
            first.kill(); // no disconnect written: the router still holds the session
        } finally {
            first.kill();
        }
        ServiceProcess second = ServiceProcess.standalone("restart-it-kill-2", port, data, props).start()
                .awaitReady(Duration.ofSeconds(90));
        try {
            long deadline = System.nanoTime() + WAIT.toNanos();
            Map<String, Boolean> devices = connected(second, "kz");
            while ((devices == null || devices.getOrDefault("phone", true)) && System.nanoTime() < deadline) {
                Thread.sleep(200);
                devices = connected(second, "kz");
            }
            assertThat(devices).as("the killed run's socket is gone: the new run's lease ends it")
                    .containsEntry("phone", false);
            try (TestInbox back = new TestInbox(second.ws(""), "kz", "phone", "", true)) {
                back.awaitCaughtUp(WAIT);
                assertThat(connected(second, "kz")).containsEntry("phone", true);
            }
        } finally {
            second.stop();
            TestFiles.delete(data);
        }
    }

    /** Device → connected, from {@code GET /v1/devices}; null while the store is not ready yet (503). */
    private static Map<String, Boolean> connected(ServiceProcess p, String user) throws Exception {
        HttpResponse<byte[]> r = HTTP.send(
                HttpRequest.newBuilder(URI.create(p.http("/v1/devices?user=" + user + "&device=admin")))
                        .build(), HttpResponse.BodyHandlers.ofByteArray());
        if (r.statusCode() == 503) {
            return null;
        }
        assertThat(r.statusCode()).isEqualTo(200);
        Map<String, Boolean> out = new TreeMap<>();
        Json.read(r.body(), DeviceList.class).devices()
                .forEach(d -> out.put(d.device(), d.connected()));
        return out;
    }
}
