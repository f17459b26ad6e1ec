package dev.pigeonhole.client.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pigeonhole.client.FakeWsServer;
import dev.pigeonhole.protocol.Json;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The {@code shadow} commands in-process, against a server played by the test. */
class ShadowCliTest extends ConsoleCliTest {
    private static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    Path dir;

    private String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    private String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    private FakeWsServer server(int port) throws Exception {
        FakeWsServer s = new FakeWsServer(port);
        servers.add(s);
        return s;
    }

    private CompletableFuture<Integer> cli(String server, String device, String... args) {
        List<String> all = new ArrayList<>(Arrays.asList(args));
        all.addAll(List.of("--server", server, "--user", "alice", "--device", device, "--data-dir",
                dir.resolve(device).toString(), "--ping-interval", "PT2S"));
        return CompletableFuture.supplyAsync(() -> new CommandLine(new PigeonholeCli()).execute(all.toArray(String[]::new)));
    }

    private static String accepted(JsonNode request, long version, String desired, String delta) {
        return "{\"type\":\"shadow_accepted\",\"op\":\"update\",\"thing\":\"thermostat\",\"name\":\"\",\"clientToken\":\""
                + request.get("clientToken").asText() + "\",\"document\":{\"thing\":\"thermostat\",\"name\":\"\","
                + "\"state\":{\"desired\":" + desired + ",\"delta\":" + delta + "},\"version\":" + version
                + ",\"timestamp\":1}}";
    }

    @Test
    void desireSendsTheFieldsAsAPatchAndPrintsTheAnswer() throws Exception {
        FakeWsServer server = server(0);
        CompletableFuture<Integer> exit = cli(server.url(), "app", "shadow", "desire", "thermostat", "temperature=21",
                "mode.fan=auto", "schedule=null", "--version", "4");
        FakeWsServer.Connection inbox = server.accept("/v1/inbox", WAIT);
        JsonNode u = Json.read(inbox.next("shadow_update", WAIT), JsonNode.class);
        assertThat(Json.write(u.get("state")))
                .isEqualTo("{\"desired\":{\"temperature\":21,\"mode\":{\"fan\":\"auto\"},\"schedule\":null}}");
        assertThat(u.get("version").asLong()).isEqualTo(4);
        assertThat(u.get("thing").asText()).isEqualTo("thermostat");
        inbox.send(accepted(u, 5, "{\"temperature\":21,\"mode\":{\"fan\":\"auto\"}}", "{\"temperature\":21}"));
        assertThat(exit.get(10, TimeUnit.SECONDS)).isEqualTo(PigeonholeCli.OK);
        assertThat(out()).isEqualTo("accepted version 5, delta {\"temperature\":21}" + System.lineSeparator());
    }

    @Test
    void aRejectionExitsWithTwoAndSaysWhy() throws Exception {
        FakeWsServer server = server(0);
        CompletableFuture<Integer> exit = cli(server.url(), "app", "shadow", "desire", "thermostat", "t=1", "--version", "2");
        FakeWsServer.Connection inbox = server.accept("/v1/inbox", WAIT);
        JsonNode u = Json.read(inbox.next("shadow_update", WAIT), JsonNode.class);
        inbox.send("{\"type\":\"shadow_rejected\",\"op\":\"update\",\"thing\":\"thermostat\",\"name\":\"\",\"clientToken\":\""
                + u.get("clientToken").asText() + "\",\"code\":\"version_conflict\",\"message\":\"version 2 does not"
                + " match the shadow's version 7\",\"version\":7}");
        assertThat(exit.get(10, TimeUnit.SECONDS)).isEqualTo(PigeonholeCli.REJECTED);
        assertThat(err()).contains("rejected version_conflict: version 2 does not match the shadow's version 7"
                + " (current version 7)");
        assertThat(out()).isEmpty();
    }

    @Test
    void whileTheServerIsUnreachableUpdatesStayQueuedAndALaterRunSendsThemMerged() throws Exception {
        int port = FakeWsServer.freePort();
        String url = "ws://127.0.0.1:" + port;
        assertThat(cli(url, "app", "shadow", "desire", "thermostat", "temperature=19", "--wait", "PT1S")
                .get(10, TimeUnit.SECONDS)).isEqualTo(PigeonholeCli.STILL_QUEUED);
        assertThat(err()).contains("server unreachable").contains("still queued");
        assertThat(cli(url, "app", "shadow", "desire", "thermostat", "temperature=21", "mode=eco", "--wait", "PT1S")
                .get(10, TimeUnit.SECONDS)).isEqualTo(PigeonholeCli.STILL_QUEUED);

        FakeWsServer server = server(port);
        CompletableFuture<Integer> flush = cli(url, "app", "flush", "--wait", "PT10S");
        FakeWsServer.Connection inbox = server.accept("/v1/inbox", WAIT);
        JsonNode u = Json.read(inbox.next("shadow_update", WAIT), JsonNode.class);
        assertThat(Json.write(u.get("state"))).isEqualTo("{\"desired\":{\"temperature\":21,\"mode\":\"eco\"}}");
        assertThat(inbox.poll(Duration.ofMillis(300))).as("one merged update").isNull();
        inbox.send(accepted(u, 3, "{\"temperature\":21,\"mode\":\"eco\"}", "{\"temperature\":21,\"mode\":\"eco\"}"));
        assertThat(flush.get(15, TimeUnit.SECONDS)).isEqualTo(PigeonholeCli.OK);
        assertThat(out()).contains("queued in outbox: 0 (and 1 shadow updates)");
    }

    @Test
    void reportMustRunAsTheThing() throws Exception {
        assertThat(cli("ws://127.0.0.1:1", "app", "shadow", "report", "thermostat", "temperature=19")
                .get(10, TimeUnit.SECONDS)).isEqualTo(2);
        assertThat(err()).contains("--device thermostat");
    }

    @Test
    void watchPrintsTheThingsDeltasAsJsonLinesAndAcksThem() throws Exception {
        FakeWsServer server = server(0);
        CompletableFuture<Integer> exit = cli(server.url(), "thermostat", "shadow", "watch", "thermostat", "--count", "1");
        FakeWsServer.Connection inbox = server.accept("/v1/inbox", WAIT);
        inbox.send("{\"type\":\"shadow_delta\",\"seq\":1,\"thing\":\"lamp\",\"name\":\"\",\"version\":2,"
                + "\"state\":{\"on\":true},\"metadata\":{},\"at\":5}");
        inbox.send("{\"type\":\"gap\",\"from\":2,\"to\":40,\"reason\":\"superseded\"}");
        inbox.send("{\"type\":\"shadow_delta\",\"seq\":41,\"thing\":\"thermostat\",\"name\":\"\",\"version\":7,"
                + "\"state\":{\"temperature\":21},\"metadata\":{\"temperature\":{\"timestamp\":9}},\"clientToken\":\"c-42\",\"at\":9}");
        assertThat(exit.get(10, TimeUnit.SECONDS)).isEqualTo(PigeonholeCli.OK);
        assertThat(out()).isEqualTo("{\"type\":\"shadow_delta\",\"seq\":41,\"thing\":\"thermostat\",\"name\":\"\","
                + "\"version\":7,\"state\":{\"temperature\":21},\"clientToken\":\"c-42\",\"at\":9}" + System.lineSeparator());
        assertThat(err()).doesNotContain("gone");
        long acked = 0;
        while (acked < 41) {
            acked = Json.read(inbox.next("\"ack\"", WAIT), JsonNode.class).get("seq").asLong();
        }
        assertThat(acked).as("acked through the printed delta").isEqualTo(41);
    }

    @Test
    void watchApplyReportsTheDeltaAsTheThing() throws Exception {
        FakeWsServer server = server(0);
        CompletableFuture<Integer> exit = cli(server.url(), "thermostat", "shadow", "watch", "thermostat", "--count", "1",
                "--apply");
        FakeWsServer.Connection inbox = server.accept("/v1/inbox", WAIT);
        inbox.send("{\"type\":\"shadow_delta\",\"seq\":3,\"thing\":\"thermostat\",\"name\":\"\",\"version\":7,"
                + "\"state\":{\"temperature\":21},\"metadata\":{},\"at\":9}");
        JsonNode u = Json.read(inbox.next("shadow_update", WAIT), JsonNode.class);
        assertThat(Json.write(u.get("state"))).isEqualTo("{\"reported\":{\"temperature\":21}}");
        inbox.send(accepted(u, 8, "{\"temperature\":21}", "{}"));
        assertThat(exit.get(10, TimeUnit.SECONDS)).isEqualTo(PigeonholeCli.OK);
        assertThat(err()).contains("* reported {\"temperature\":21}: version 8, delta {}");
    }
}
