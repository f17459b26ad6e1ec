package dev.pigeonhole.standalone;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pigeonhole.protocol.ServerFrame;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The HTTP layer against clients that hold connections without using them (slowloris), put their own text into
 * metric labels, or send requests the HTTP layer refuses. Raw sockets come from their own loopback addresses
 * (127.0.0.2, ...) so the per-address cap they test does not meet the stack's own loopback traffic.
 */
class HttpLimitsIT {
    private static final Duration HEAD_TIMEOUT = Duration.ofSeconds(2);
    private static final Duration IDLE_TIMEOUT = Duration.ofSeconds(8);
    private static final int PER_ADDRESS = 16;
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    /** A cheap request every layout serves on the public port: no credentials, so 401. */
    private static final String PROBE = "/v1/devices";
    private static final String SERVED = "HTTP/1.1 401";

    @RegisterExtension
    static final StandaloneExtension STACK = new StandaloneExtension("http-limits-it", Map.of(
            "pigeonhole.internal.secret", ServiceProcess.INTERNAL_SECRET,
            "pigeonhole.limits.request-head-timeout", "PT2S",
            "pigeonhole.limits.connections-per-address", Integer.toString(PER_ADDRESS),
            "quarkus.http.idle-timeout", "PT8S",
            "pigeonhole.delivery.ping-interval", "PT1S"));
    private static ServiceProcess pigeonhole;

    @BeforeAll
    static void stack() {
        pigeonhole = STACK.process();
    }

    @Test
    void connectionsTricklingTheirRequestHeadAreClosedAfterTheHeadTimeout() throws Exception {
        double before = clientErrors("request_head_timeout");
        List<Socket> slow = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            Socket s = connect("127.0.0.2");
            s.getOutputStream().write(ascii("GET " + PROBE + " HTTP/1.1\r\n"));
            s.setSoTimeout(100);
            slow.add(s);
        }
        long start = System.nanoTime();
        List<Socket> open = new ArrayList<>(slow);
        while (!open.isEmpty() && System.nanoTime() - start < WAIT.toNanos()) {
            open.removeIf(s -> !trickle(s));
        }
        Duration held = Duration.ofNanos(System.nanoTime() - start);
        slow.forEach(HttpLimitsIT::closeQuietly);
        assertThat(open).as("sockets still open after " + held + " of trickling a header byte").isEmpty();
        assertThat(held).isGreaterThanOrEqualTo(HEAD_TIMEOUT);
        assertThat(clientErrors("request_head_timeout") - before).isEqualTo(10);
    }

    @Test
    void aKeepAliveConnectionMayWaitBetweenRequestsLongerThanTheHeadTimeout() throws Exception {
        try (Socket s = connect("127.0.0.2")) {
            assertThat(get(s, PROBE)).startsWith(SERVED);
            Thread.sleep(HEAD_TIMEOUT.multipliedBy(2).toMillis());
            assertThat(get(s, PROBE)).startsWith(SERVED);
        }
    }

    @Test
    void aSilentConnectionIsClosedAfterTheIdleTimeoutButAReceivingWebSocketIsNot() throws Exception {
        try (TestInbox inbox = new TestInbox(pigeonhole.ws(""), "edge-bob", "laptop", "after=0", true)) {
            inbox.awaitCaughtUp(WAIT);
            Socket silent = connect("127.0.0.2");
            assertThat(get(silent, PROBE)).startsWith(SERVED);
            long start = System.nanoTime();
            assertThat(closedByServer(silent, WAIT)).as("a silent keep-alive connection is closed").isTrue();
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(IDLE_TIMEOUT.minusSeconds(1));
            silent.close();

            // the inbox received only pings (and answered them) all that time, longer than both timeouts
            assertThat(inbox.closed()).isNotDone();
            HttpResponse<String> sent = HTTP.send(HttpRequest.newBuilder(URI.create(pigeonhole.http(
                    "/v1/messages?user=edge-alice&device=phone"))).POST(HttpRequest.BodyPublishers.ofString(
                    "{\"id\":\"edge-1\",\"to\":\"edge-bob\",\"body\":{\"text\":\"still there\"}}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(sent.statusCode()).isEqualTo(202);
            inbox.awaitMessages(1, WAIT);
            assertThat(inbox.messages()).extracting(ServerFrame.Message::id).containsExactly("edge-1");
        }
    }

    /**
     * The application heartbeat (docs/protocol.md, Liveness) on real sockets that never answer WebSocket pings
     * (stricter than a browser, whose stack answers them unseen by the page): {@code ping} frames get {@code pong} on
     * both endpoints, and they alone keep an inbox open past two server ping intervals (1 s here), where the same
     * client sending nothing is closed with 4000.
     */
    @Test
    void pingFramesAreAnsweredOnBothEndpointsAndAloneKeepAnInboxOpen() throws Exception {
        byte[] ping = ascii("{\"type\":\"ping\"}");
        try (RawWebSocket send = new RawWebSocket(pigeonhole.port, "/v1/send?user=edge-carol&device=phone")) {
            send.sendFrame(0x81, ping);
            assertThat(send.readText(10_000)).isEqualTo("{\"type\":\"pong\"}");
        }
        try (RawWebSocket inbox = new RawWebSocket(pigeonhole.port, "/v1/inbox?user=edge-carol&device=phone&after=0");
             RawWebSocket quiet = new RawWebSocket(pigeonhole.port, "/v1/inbox?user=edge-carol&device=tablet&after=0")) {
            assertThat(inbox.readText(10_000)).startsWith("{\"type\":\"backlog\"");
            assertThat(inbox.readText(10_000)).startsWith("{\"type\":\"caught_up\"");
            long start = System.nanoTime();
            int pongs = 0;
            while (System.nanoTime() - start < Duration.ofMillis(3500).toNanos()) { // 3.5 server ping intervals
                Thread.sleep(500);
                inbox.sendFrame(0x81, ping);
                assertThat(inbox.readText(5_000)).as("answer to ping " + (pongs + 1)).isEqualTo("{\"type\":\"pong\"}");
                pongs++;
            }
            assertThat(pongs).isGreaterThanOrEqualTo(6);
            // the control: a client just as deaf to WebSocket pings, sending nothing, was closed as silent meanwhile
            assertThat(quiet.readClose(10_000).code()).isEqualTo(dev.pigeonhole.protocol.CloseCode.HEARTBEAT_TIMEOUT.code());
        }
    }

    @Test
    void connectionsOverThePerAddressCapAreClosedAtOnce() throws Exception {
        double before = clientErrors("connections_per_address");
        List<Socket> held = new ArrayList<>();
        try {
            for (int i = 0; i < PER_ADDRESS; i++) {
                Socket s = connect("127.0.0.3");
                held.add(s);
                assertThat(get(s, PROBE)).startsWith(SERVED);
            }
            try (Socket over = connect("127.0.0.3")) {
                assertThat(closedByServer(over, WAIT)).as("connection " + (PER_ADDRESS + 1) + " from one address").isTrue();
            }
            assertThat(clientErrors("connections_per_address") - before).isEqualTo(1);
            try (Socket other = connect("127.0.0.4")) {
                assertThat(get(other, PROBE)).as("another address").startsWith(SERVED);
            }

            held.remove(0).close();
            long deadline = System.nanoTime() + WAIT.toNanos();
            String answer = "";
            while (!answer.startsWith(SERVED) && System.nanoTime() < deadline) {
                try (Socket again = connect("127.0.0.3")) {
                    answer = get(again, PROBE);
                } catch (IOException refused) {
                    ServiceProcess.sleep(50); // the freed slot is released when the server sees the close
                }
            }
            assertThat(answer).as("a slot is free again").startsWith(SERVED);
        } finally {
            held.forEach(HttpLimitsIT::closeQuietly);
        }
    }

    @Test
    void clientSuppliedPathsDoNotBecomeMetricLabels() throws Exception {
        String[] shapes = {"GET /v1/devices/%s", "GET /v1/devices/%s?user=edge-carol&device=phone",
                "DELETE /v1/devices/%s", "GET /v1/groups/%s", "GET /v1/groups/%s?user=edge-carol&device=phone",
                "POST /v1/messages/%s", "GET /%s", "GET /v1/inbox/%s", "GET /q/%s", "PUT /v1/devices/%s"};
        for (int i = 0; i < 200; i++) {
            String[] request = String.format(shapes[i % shapes.length], "edge-rnd-" + UUID.randomUUID()).split(" ");
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(pigeonhole.http(request[1])))
                    .method(request[0], HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(String.join(" ", request)).isBetween(400, 499);
        }
        Set<String> uris = new TreeSet<>();
        Matcher m = Pattern.compile("(?m)^http_server_requests_seconds_count\\{[^}]*uri=\"([^\"]*)\"").matcher(pigeonhole.metrics());
        while (m.find()) {
            uris.add(m.group(1));
        }
        assertThat(uris).isNotEmpty().noneMatch(uri -> uri.contains("edge-rnd"));
        assertThat(uris).as("uri label values after 200 requests to distinct paths").hasSizeLessThan(30);
    }

    @Test
    void requestsWithoutHostAreCountedClientErrorsNotErrorLogLines() throws Exception {
        long mark = pigeonhole.logLength();
        double before = clientErrors("missing_host");
        for (int i = 0; i < 20; i++) {
            try (Socket s = connect("127.0.0.2")) {
                String version = i % 2 == 0 ? "HTTP/1.1" : "HTTP/1.0";
                s.getOutputStream().write(ascii("GET /v1/devices?user=edge-dave&device=phone " + version + "\r\n\r\n"));
                String response = readResponse(s.getInputStream());
                assertThat(response).as(version).matches("HTTP/1\\.[01] 400 (?s).*").contains("invalid_field");
                assertThat(closedByServer(s, WAIT)).as("a client that sends no Host is not kept").isTrue();
            }
        }
        assertThat(clientErrors("missing_host") - before).isEqualTo(20);
        assertThat(pigeonhole.logSince(mark)).doesNotContain("ERROR");
    }

    private static double clientErrors(String reason) {
        return pigeonhole.metric("pigeonhole_http_client_errors_total{reason=\"" + reason + "\"}");
    }

    /** A socket to the stack from the given loopback address. */
    private static Socket connect(String from) throws IOException {
        Socket s = new Socket();
        s.bind(new InetSocketAddress(from, 0));
        s.connect(new InetSocketAddress("127.0.0.1", pigeonhole.port), 5000);
        return s;
    }

    /** Writes one more header byte; false when the server has closed the connection. */
    private static boolean trickle(Socket s) {
        try {
            if (s.getInputStream().read() == -1) {
                return false;
            }
        } catch (SocketTimeoutException stillOpen) {
            // nothing from the server yet
        } catch (IOException reset) {
            return false;
        }
        try {
            s.getOutputStream().write('X');
            return true;
        } catch (IOException closed) {
            return false;
        }
    }

    private static boolean closedByServer(Socket s, Duration within) throws IOException {
        s.setSoTimeout((int) within.toMillis());
        try {
            return s.getInputStream().read() == -1;
        } catch (SocketTimeoutException open) {
            return false;
        } catch (IOException reset) {
            return true;
        }
    }

    private static String get(Socket s, String path) throws IOException {
        s.setSoTimeout((int) WAIT.toMillis());
        OutputStream out = s.getOutputStream();
        out.write(ascii("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
        out.flush();
        return readResponse(s.getInputStream());
    }

    /** One response: status line, headers and a Content-Length body. */
    private static String readResponse(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b == -1) {
                throw new IOException("connection closed after " + head.toString(StandardCharsets.ISO_8859_1));
            }
            head.write(b);
        }
        String headers = head.toString(StandardCharsets.ISO_8859_1);
        Matcher length = Pattern.compile("(?im)^content-length:\\s*(\\d+)").matcher(headers);
        byte[] body = length.find() ? in.readNBytes(Integer.parseInt(length.group(1))) : new byte[0];
        return headers + new String(body, StandardCharsets.UTF_8);
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // closing
        }
    }
}
