package dev.pigeonhole.standalone;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pigeonhole.client.ClientOptions;
import dev.pigeonhole.client.ConnectionState;
import dev.pigeonhole.client.IncomingMessage;
import dev.pigeonhole.client.Outgoing;
import dev.pigeonhole.client.PigeonholeClient;
import dev.pigeonhole.client.Receipt;
import dev.pigeonhole.client.SendState;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The client SDK against the real standalone stack through a {@link FaultProxy}: flapping networks, half-open
 * connections, and a client process killed while it had queued messages.
 */
class ClientResilienceIT {
    private static final Duration PING = Duration.ofMillis(500);
    private static final Duration WAIT = Duration.ofSeconds(90);
    @RegisterExtension
    static final StandaloneExtension STACK = new StandaloneExtension("client-it");
    private static ServiceProcess pigeonhole;

    @BeforeAll
    static void stack() {
        pigeonhole = STACK.process();
    }

    private static PigeonholeClient client(FaultProxy proxy, String user, String device, Recorder recorder) {
        return PigeonholeClient.start(ClientOptions.builder(URI.create(proxy.ws()), user, device)
                .dataDir(STACK.dir(user + "-" + device)).pingInterval(PING)
                .backoff(Duration.ofMillis(100), Duration.ofSeconds(1)).connectTimeout(Duration.ofSeconds(1))
                .sendIdleTimeout(Duration.ofSeconds(2)).build(), recorder);
    }

    /**
     * The waiting room: for a minute the network flaps at random — resets, refusals, half-open silences — while two
     * clients exchange 2,000 messages. Every message arrives exactly once, in each sender's order, and each
     * client's reported state matched the network within two ping intervals.
     */
    @Test
    void waitingRoom() throws Exception {
        Random random = new Random(2026);
        int perSender = 1000;
        try (FaultProxy proxy = new FaultProxy(pigeonhole.port)) {
            Recorder aliceSaw = new Recorder();
            Recorder bobSaw = new Recorder();
            List<Outgoing> aliceSent = new ArrayList<>();
            List<Outgoing> bobSent = new ArrayList<>();
            try (PigeonholeClient alice = client(proxy, "wr-alice", "phone", aliceSaw);
                 PigeonholeClient bob = client(proxy, "wr-bob", "laptop", bobSaw)) {
                long start = System.currentTimeMillis();
                long end = start + 60_000;
                Thread flapper = new Thread(() -> {
                    while (System.currentTimeMillis() < end) {
                        sleep(1000 + random.nextInt(3000));
                        switch (random.nextInt(3)) {
                            case 0 -> proxy.drop();
                            case 1 -> {
                                proxy.refuse();
                                sleep(500 + random.nextInt(2500));
                                proxy.up();
                            }
                            default -> {
                                proxy.blackhole();
                                sleep(500 + random.nextInt(2500));
                                proxy.up();
                            }
                        }
                    }
                    proxy.up();
                }, "flapper");
                flapper.start();
                for (int i = 0; i < perSender; i++) {
                    aliceSent.add(alice.sendText("wr-bob", "a" + i));
                    bobSent.add(bob.sendText("wr-alice", "b" + i));
                    sleep(55);
                }
                flapper.join();
                long healedAt = System.currentTimeMillis();

                awaitCount(bobSaw, "wr-alice", perSender);
                awaitCount(aliceSaw, "wr-bob", perSender);
                assertThat(texts(bobSaw.from("wr-alice"))).containsExactlyElementsOf(
                        IntStream.range(0, perSender).mapToObj(i -> "a" + i).toList());
                assertThat(texts(aliceSaw.from("wr-bob"))).containsExactlyElementsOf(
                        IntStream.range(0, perSender).mapToObj(i -> "b" + i).toList());
                assertThat(aliceSent).allMatch(m -> m.state() == SendState.ACCEPTED);
                assertThat(bobSent).allMatch(m -> m.state() == SendState.ACCEPTED);
                assertThat(alice.pending()).isEmpty();
                assertSeqsStrictlyIncrease(aliceSaw);
                assertSeqsStrictlyIncrease(bobSaw);
                // every message of alice's was acked by bob's only device: one delivered receipt each, 1 of 1
                List<String> aliceIds = aliceSent.stream().map(Outgoing::id).toList();
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (deliveredReceipts(aliceSaw).size() < perSender && System.nanoTime() < deadline) {
                    sleep(100);
                }
                assertThat(deliveredReceipts(aliceSaw)).extracting(Receipt.Item::id)
                        .containsExactlyInAnyOrderElementsOf(aliceIds);
                assertThat(deliveredReceipts(aliceSaw)).allMatch(i -> i.devices() == 1 && i.of() == 1);

                for (Recorder r : List.of(aliceSaw, bobSaw)) {
                    assertStateMatchedTheNetwork(r, proxy.transitions(), start, healedAt);
                }
                assertThat(proxy.transitions()).as("the network really flapped").hasSizeGreaterThan(10);
            }
        }
    }

    /** A half-open connection is noticed within two ping intervals; the client resumes without loss or duplicates. */
    @Test
    void halfOpenConnectionIsDetectedAndResumed() throws Exception {
        try (FaultProxy proxy = new FaultProxy(pigeonhole.port);
             TestSender carol = new TestSender(pigeonhole.ws(""), "ho-carol", "phone")) {
            Recorder daveSaw = new Recorder();
            try (PigeonholeClient dave = client(proxy, "ho-dave", "phone", daveSaw)) {
                awaitState(daveSaw, ConnectionState.ONLINE);
                List<String> ids = new ArrayList<>();
                for (int i = 0; i < 100; i++) {
                    String id = "ho-" + i;
                    ids.add(id);
                    carol.send(id, "ho-dave", "{\"text\":\"c" + i + "\"}");
                    if (i == 40) {
                        awaitCount(daveSaw, "ho-carol", 30);
                        long silencedAt = System.currentTimeMillis();
                        proxy.blackhole();
                        awaitNotOnline(daveSaw, silencedAt);
                        long noticedAfter = noticed(daveSaw, silencedAt) - silencedAt;
                        assertThat(noticedAfter).as("noticed within two ping intervals (+ scheduling slack)")
                                .isLessThanOrEqualTo(2 * PING.toMillis() + 400);
                    }
                    if (i == 70) {
                        proxy.up();
                    }
                }
                carol.awaitReplies(ids, 1, WAIT);
                awaitCount(daveSaw, "ho-carol", 100);
                sleep(500);
                assertThat(texts(daveSaw.from("ho-carol"))).containsExactlyElementsOf(
                        IntStream.range(0, 100).mapToObj(i -> "c" + i).toList());
                assertThat(dave.state()).isEqualTo(ConnectionState.ONLINE);
            }
        }
    }

    /**
     * A client in its own JVM queues 100 messages while the server is unreachable and is killed with SIGKILL; the
     * next run sends them: each delivered exactly once, in order. Then the same while sends are in flight.
     */
    @Test
    void killedWhileOfflineThenRestarted() throws Exception {
        try (FaultProxy proxy = new FaultProxy(pigeonhole.port)) {
            proxy.refuse();
            Path dir = STACK.dir("kill-erin");
            Process first = cli(proxy, dir, "send", "--to", "ko-fred", "--wait", "PT10M");
            try (Writer in = new OutputStreamWriter(first.getOutputStream(), StandardCharsets.UTF_8)) {
                for (int i = 0; i < 100; i++) {
                    in.write("offline " + i + "\n");
                }
            }
            CliProcess.awaitLines(first, Map.of("queued ", 100), WAIT);
            first.destroyForcibly().waitFor(10, TimeUnit.SECONDS);

            proxy.up();
            Process flush = cli(proxy, dir, "flush", "--wait", "PT60S");
            assertThat(flush.waitFor(90, TimeUnit.SECONDS)).isTrue();
            assertThat(flush.exitValue()).as("flush: outbox empty").isZero();

            // Killed mid-flight: some sends are answered, some in flight, some queued.
            proxy.delay(30);
            Process second = cli(proxy, dir, "send", "--to", "ko-fred", "--wait", "PT10M");
            try (Writer in = new OutputStreamWriter(second.getOutputStream(), StandardCharsets.UTF_8)) {
                for (int i = 0; i < 100; i++) {
                    in.write("inflight " + i + "\n");
                }
            }
            CliProcess.awaitLines(second, Map.of("queued ", 100, "accepted ", 10), WAIT); // all on disk, some answered
            second.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            proxy.delay(0);
            Process flushAgain = cli(proxy, dir, "flush", "--wait", "PT60S");
            assertThat(flushAgain.waitFor(90, TimeUnit.SECONDS)).isTrue();
            assertThat(flushAgain.exitValue()).isZero();

            Recorder fredSaw = new Recorder();
            try (PigeonholeClient fred = client(proxy, "ko-fred", "phone", fredSaw)) {
                awaitCount(fredSaw, "erin", 200);
                sleep(500);
                List<String> expected = new ArrayList<>();
                IntStream.range(0, 100).forEach(i -> expected.add("offline " + i));
                IntStream.range(0, 100).forEach(i -> expected.add("inflight " + i));
                assertThat(texts(fredSaw.from("erin"))).containsExactlyElementsOf(expected);
            }
        }
    }

    private static Process cli(FaultProxy proxy, Path dataDir, String command, String... args) throws Exception {
        return CliProcess.start(proxy.ws(), "erin", dataDir, command, args);
    }

    /**
     * Samples the whole run: whenever the network had been down (refusing or silent) for more than two ping
     * intervals, the client did not claim to be online; whenever it had been up long enough to reconnect (backoff
     * bound + handshake + two intervals), the client said online.
     */
    private static void assertStateMatchedTheNetwork(Recorder r, List<FaultProxy.Transition> net, long from, long to) {
        long slack = 400;
        long mustNotBeOnline = 2 * PING.toMillis() + slack;
        long mustBeOnline = 1000 + 1000 + 2 * PING.toMillis() + slack;
        int checkedDown = 0;
        int checkedUp = 0;
        for (long t = from + 2000; t < to; t += 50) {
            FaultProxy.Transition last = null;
            for (FaultProxy.Transition tr : net) {
                if (tr.at() <= t) {
                    last = tr;
                }
            }
            if (last == null) {
                continue;
            }
            long since = t - last.at();
            ConnectionState reported = r.stateAt(t);
            if (last.mode() != FaultProxy.Mode.UP && since > mustNotBeOnline) {
                assertThat(reported).as("at +%d ms, network %s for %d ms", t - from, last.mode(), since)
                        .isNotEqualTo(ConnectionState.ONLINE);
                checkedDown++;
            } else if (last.mode() == FaultProxy.Mode.UP && since > mustBeOnline) {
                assertThat(reported).as("at +%d ms, network up for %d ms", t - from, since)
                        .isEqualTo(ConnectionState.ONLINE);
                checkedUp++;
            }
        }
        assertThat(checkedDown).as("down samples checked").isPositive();
        assertThat(checkedUp).as("up samples checked").isPositive();
    }

    private static void awaitCount(Recorder r, String from, int count) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (r.from(from).size() < count) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("got " + r.from(from).size() + " of " + count + " from " + from);
            }
            sleep(20);
        }
    }

    private static void awaitState(Recorder r, ConnectionState state) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (r.stateAt(System.currentTimeMillis()) != state) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("never " + state + ": " + r.states());
            }
            sleep(20);
        }
    }

    private static void awaitNotOnline(Recorder r, long since) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (noticed(r, since) < 0) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("never noticed: " + r.states());
            }
            sleep(20);
        }
    }

    /** When the client first reported a non-online state after {@code since}, or -1. */
    private static long noticed(Recorder r, long since) {
        return r.states().stream().filter(s -> s.at() >= since && s.state() != ConnectionState.ONLINE)
                .mapToLong(Recorder.StateChange::at).findFirst().orElse(-1);
    }

    private static List<Receipt.Item> deliveredReceipts(Recorder recorder) {
        return recorder.receipts().stream().filter(r -> r.status() == Receipt.Status.DELIVERED)
                .flatMap(r -> r.messages().stream()).toList();
    }

    /** Every inbox entry (messages and the receipts among them) once, in seq order, without gaps. */
    private static void assertSeqsStrictlyIncrease(Recorder recorder) {
        List<Long> seqs = recorder.entrySeqs();
        for (int i = 1; i < seqs.size(); i++) {
            assertThat(seqs.get(i)).isEqualTo(seqs.get(i - 1) + 1);
        }
    }

    private static List<String> texts(List<IncomingMessage> messages) {
        return messages.stream().map(m -> m.text()).toList();
    }

    private static void sleep(long ms) {
        ServiceProcess.sleep(ms);
    }
}
