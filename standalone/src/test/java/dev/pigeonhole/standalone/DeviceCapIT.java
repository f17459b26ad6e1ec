package dev.pigeonhole.standalone;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pigeonhole.client.ClientOptions;
import dev.pigeonhole.client.ConnectionState;
import dev.pigeonhole.client.PigeonholeClient;
import dev.pigeonhole.protocol.CloseCode;
import dev.pigeonhole.protocol.Json;
import dev.pigeonhole.protocol.ServerFrame;
import dev.pigeonhole.records.DeviceList;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The cap on registered devices per user ({@code pigeonhole.router.max-devices-per-user}, 3 here). */
class DeviceCapIT {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @RegisterExtension
    static final StandaloneExtension STACK = new StandaloneExtension("device-cap-it", cap(3));
    private static ServiceProcess pigeonhole;

    @BeforeAll
    static void stack() {
        pigeonhole = STACK.process();
    }

    @Test
    void aNewDeviceBeyondTheCapIsRefusedWith4105UntilTheUserRemovesOne() throws Exception {
        for (String device : List.of("d1", "d2", "d3")) {
            try (TestInbox inbox = inbox("cap", device)) {
                inbox.awaitFrame(ServerFrame.Backlog.class, b -> true, WAIT); // the router registered it
            }
        }
        try (TestInbox fourth = inbox("cap", "d4")) {
            assertThat(fourth.closed().get(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(CloseCode.TOO_MANY_DEVICES.code());
            assertThat(fourth.frames()).as("a refused device reads nothing").isEmpty();
        }
        assertThat(devices("cap")).containsExactly("d1", "d2", "d3");

        try (TestInbox d1 = inbox("cap", "d1")) {
            d1.awaitFrame(ServerFrame.Backlog.class, b -> true, WAIT); // registered devices keep connecting
            HttpResponse<String> removed = HTTP.send(HttpRequest.newBuilder(URI.create(
                    pigeonhole.http("/v1/devices/d2?user=cap&device=d1"))).DELETE().build(), HttpResponse.BodyHandlers.ofString());
            assertThat(removed.statusCode()).isEqualTo(204);
        }
        try (TestInbox fourth = inbox("cap", "d4")) {
            fourth.awaitFrame(ServerFrame.Backlog.class, b -> true, WAIT);
            assertThat(devices("cap")).containsExactly("d1", "d3", "d4");
        }
        try (TestInbox fifth = inbox("cap", "d5")) {
            assertThat(fifth.closed().get(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(CloseCode.TOO_MANY_DEVICES.code());
        }
        assertThat(devices("cap")).containsExactly("d1", "d3", "d4");
    }

    @Test
    void theSdkTellsTheAppAndDoesNotReconnect() throws Exception {
        for (String device : List.of("d1", "d2", "d3")) {
            try (TestInbox inbox = inbox("cap-sdk", device)) {
                inbox.awaitFrame(ServerFrame.Backlog.class, b -> true, WAIT);
            }
        }
        Recorder saw = new Recorder();
        try (PigeonholeClient fourth = PigeonholeClient.start(ClientOptions.builder(URI.create(pigeonhole.ws("")),
                "cap-sdk", "d4").dataDir(STACK.dir("cap-sdk-d4")).backoff(Duration.ofMillis(20), Duration.ofMillis(100))
                .build(), saw)) {
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (saw.refusals().isEmpty() && System.nanoTime() < deadline) {
                ServiceProcess.sleep(20);
            }
            assertThat(saw.refusals()).containsExactly(CloseCode.TOO_MANY_DEVICES.code());
            int states = saw.states().size();
            ServiceProcess.sleep(1000); // with a 20..100 ms backoff a retrying client would have dialled again
            assertThat(saw.states()).hasSize(states);
            assertThat(fourth.state()).isEqualTo(ConnectionState.OFFLINE);
        }
        assertThat(devices("cap-sdk")).containsExactly("d1", "d2", "d3");
    }

    private static Map<String, String> cap(int devices) {
        Map<String, String> props = new HashMap<>(ServiceProcess.GENEROUS_LIMITS);
        props.put("pigeonhole.router.max-devices-per-user", Integer.toString(devices));
        return props;
    }

    private static TestInbox inbox(String user, String device) {
        return new TestInbox(pigeonhole.ws(""), user, device, "", false);
    }

    /** The user's registered devices, by id. */
    private static List<String> devices(String user) throws Exception {
        HttpResponse<byte[]> r = HTTP.send(HttpRequest.newBuilder(URI.create(
                pigeonhole.http("/v1/devices?user=" + user + "&device=admin"))).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(r.statusCode()).isEqualTo(200);
        return Json.read(r.body(), DeviceList.class).devices().stream().map(DeviceList.Device::device).sorted().toList();
    }
}
