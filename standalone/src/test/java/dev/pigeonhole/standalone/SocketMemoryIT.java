package dev.pigeonhole.standalone;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pigeonhole.protocol.CloseCode;
import dev.pigeonhole.protocol.ServerFrame;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import java.util.stream.LongStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Sockets that never read pin no fetched entries (issue 18, item 1): ten inbox sockets with the largest window and a
 * 4 KiB receive buffer, for a user with 300 entries of 60 KB, beside a device that reads. The instance's count of
 * entry bytes held (read or pushed, not yet written to a socket) stays under its limit, goes back to zero, the stuck
 * sockets are closed as slow consumers, and the reader gets everything in order. Also: health and metrics are on the
 * management port only (item 4).
 */
class SocketMemoryIT {
    private static final Duration WAIT = Duration.ofSeconds(90);
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final int N = 300;
    /** Less than the 11 streams' pages (11 x 256 KiB): reads must wait for each other. */
    private static final long BUFFERED = 1 << 20;
    private static final String BUFFERED_SAMPLE = "pigeonhole_delivery_buffered_bytes";
    private static final String PEAK_SAMPLE = "pigeonhole_delivery_buffered_peak_bytes";
    private static final String CONNECTIONS = "pigeonhole_delivery_connections";

    @RegisterExtension
    static final StandaloneExtension STACK = new StandaloneExtension("socket-memory-it", props());
    private static ServiceProcess pigeonhole;

    private static Map<String, String> props() {
        Map<String, String> p = new HashMap<>(ServiceProcess.GENEROUS_LIMITS);
        p.put("pigeonhole.delivery.buffered-bytes", Long.toString(BUFFERED));
        // Full sockets are closed 10 s after they fill (checked every 5 s): the heap is measured well before that,
        // and a silent socket (no pong) would only be closed for silence after 40 s.
        p.put("pigeonhole.limits.slow-consumer-timeout", "PT10S");
        p.put("pigeonhole.delivery.ping-interval", "PT20S");
        return p;
    }

    @BeforeAll
    static void stack() {
        pigeonhole = STACK.process();
    }

    @Test
    void socketsThatDoNotReadHoldNoFetchedEntriesAndLoseNothing() throws Exception {
        String big = "\"" + "x".repeat(60_000) + "\"";
        List<String> ids = IntStream.range(0, N).mapToObj(i -> "mem-" + i).toList();
        try (TestSender sender = new TestSender(pigeonhole.ws(""), "mem-alice", "phone")) {
            ids.forEach(id -> sender.send(id, "mem-bob", big));
            sender.awaitReplies(ids, 1, WAIT);
            assertThat(ids).allMatch(id -> sender.replies(id).get(0) instanceof ServerFrame.Accepted);
        }
        pigeonhole.awaitStored("mem-bob", N, WAIT);
        assertThat(pigeonhole.metrics()).contains(BUFFERED_SAMPLE, PEAK_SAMPLE);

        double heapBefore = liveHeap();
        List<RawWebSocket> stuck = new ArrayList<>();
        double heapStuck;
        try (TestInbox reader = new TestInbox(pigeonhole.ws(""), "mem-bob", "reader", "after=0&window=1024", true)) {
            for (int i = 0; i < 10; i++) {
                stuck.add(new RawWebSocket(pigeonhole.port, "/v1/inbox?user=mem-bob&device=stuck-" + i + "&after=0&window=1024"));
            }
            ServiceProcess.sleep(2_000); // their queues fill within this
            heapStuck = liveHeap();
            assertThat(pigeonhole.metric(CONNECTIONS)).as("measured while the stuck sockets were all open").isEqualTo(11);
            // Reading a stuck socket would drain it: read only once the server closed them.
            // Closed with 4003 10 s after they filled; the close frame waits behind their full queues, so 10 s later
            // the TCP connections are dropped: the server keeps neither the sockets nor their queues.
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (pigeonhole.metric(CONNECTIONS) > 1 && System.nanoTime() < deadline) {
                ServiceProcess.sleep(100);
            }
            assertThat(pigeonhole.metric(CONNECTIONS)).as("only the reader is left").isEqualTo(1);
            for (RawWebSocket s : stuck) {
                assertThat(s.readUntilClose(30_000)).as("the close frame if it got through, else the end of the stream")
                        .isIn(CloseCode.SLOW_CONSUMER.code(), -1);
            }
            assertThat(reader.awaitCaughtUp(WAIT).seq()).isEqualTo(N);
            assertThat(reader.seqs()).as("in order, none lost or repeated").isEqualTo(LongStream.rangeClosed(1, N).boxed().toList());
        } finally {
            for (RawWebSocket s : stuck) {
                s.close();
            }
        }
        long peak = (long) pigeonhole.metric(PEAK_SAMPLE);
        double pinned = heapStuck - heapBefore;
        System.out.printf("SocketMemoryIT: entry bytes held at most %,d (limit %,d); live heap %.1f MiB before the"
                + " sockets, %.1f MiB with 10 stuck sockets (+%.1f MiB)%n", peak, BUFFERED, heapBefore / (1 << 20),
                heapStuck / (1 << 20), pinned / (1 << 20));
        // A read reserves its bytes before it starts; only a page's one-entry minimum can go past the reservation.
        assertThat(peak).as("entry bytes held by the instance at its peak").isLessThanOrEqualTo(BUFFERED + 11 * 61_000L);
        // Each stuck socket may cost its outbound queue (1 MiB) and its frames, 2-4 MiB measured; holding a page of
        // 256 entries per socket, as before, cost ~15 MiB per socket.
        assertThat(pinned).as("live heap the stuck sockets pin").isLessThan(80.0 * (1 << 20));
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (pigeonhole.metric(BUFFERED_SAMPLE) > 0 && System.nanoTime() < deadline) {
            ServiceProcess.sleep(50);
        }
        assertThat(pigeonhole.metric(BUFFERED_SAMPLE)).as("everything held is released once the sockets are gone").isZero();
    }

    @Test
    void healthAndMetricsAreOnTheManagementPortOnly() throws Exception {
        for (String path : List.of("/q/health", "/q/health/ready", "/q/metrics")) {
            assertThat(status(pigeonhole.http(path))).as("public port " + path).isEqualTo(404);
            assertThat(status(pigeonhole.management(path))).as("management port " + path).isEqualTo(200);
        }
    }

    /** Heap in use right after a full collection of the stack's JVM: what is live. */
    private static double liveHeap() throws Exception {
        Path jcmd = Path.of(ProcessHandle.current().info().command().orElseThrow()).resolveSibling("jcmd");
        Process gc = new ProcessBuilder(jcmd.toString(), Long.toString(pigeonhole.pid()), "GC.run")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        assertThat(gc.waitFor()).as("jcmd GC.run").isZero();
        return heap();
    }

    private static double heap() {
        double sum = 0;
        for (String line : pigeonhole.metrics().split("\n")) {
            if (line.startsWith("jvm_memory_used_bytes{") && line.contains("area=\"heap\"")) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }

    private static int status(String url) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    }
}
