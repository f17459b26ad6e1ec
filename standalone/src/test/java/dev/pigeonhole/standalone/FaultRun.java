package dev.pigeonhole.standalone;

import dev.pigeonhole.client.ClientOptions;
import dev.pigeonhole.client.IncomingMessage;
import dev.pigeonhole.client.Listener;
import dev.pigeonhole.client.Outgoing;
import dev.pigeonhole.client.PigeonholeClient;
import dev.pigeonhole.client.SendState;
import dev.pigeonhole.protocol.ServerFrame;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;
import java.util.stream.Stream;

/**
 * The fault run: one deployment on loopback under steady traffic, taken through the faults a real cluster sees, one
 * after the other, and the figures they leave. Not a test (it asserts nothing while timing); it prints a table and
 * exits non-zero if anything accepted was lost, duplicated or reordered.
 *
 * <p>Deployment: three Kafka nodes (KRaft, replication 3, {@code min.insync.replicas} 2), two routers, one gateway,
 * one delivery instance, each in its own JVM. Traffic: {@code PAIRS} senders each writing to their own recipient with
 * the SDK (persistent outbox, 5 s pings), {@code RATE} msg/s in all, after {@code FILL} inboxes were filled so the
 * routers hold state. Faults: router SIGKILL, router SIGSTOP past its session timeout, delivery SIGKILL, gateway
 * SIGKILL, a broker SIGKILL then a second one (no write can be replicated), a client process SIGKILLed mid-send. A
 * killed service is restarted at once (a pod restart); "resumed" is when every recipient got a message sent after the
 * fault began. Router RSS is sampled every second.
 *
 * <pre>./mvnw -B -Pfaults -pl standalone -am verify -DskipTests [-Dfaults.pairs=20 -Dfaults.rate=10 -Dfaults.fill=1000]</pre>
 */
public final class FaultRun {
    private static final int PAIRS = Integer.getInteger("faults.pairs", 20);
    private static final int RATE = Integer.getInteger("faults.rate", 10);
    private static final int FILL = Integer.getInteger("faults.fill", 1000);
    private static final int FILL_EACH = 10;
    private static final Duration RESUME_WAIT = Duration.ofSeconds(120);
    private static final String PADDING = "x".repeat(180); // bodies of about 220 bytes, like the fill's
    private static final String ROCKSDB_MEMORY = Long.toString(128L << 20);

    /** What one recipient got: the sender's counters in arrival order, each with its send and arrival time. */
    private static final class Inbox implements Listener {
        final List<long[]> got = Collections.synchronizedList(new ArrayList<>()); // {n, sentAt, receivedAt}

        @Override
        public void onMessage(IncomingMessage m) {
            String[] nAndT = m.text().split(" "); // "<n> <sent at, epoch ms> [padding]"
            got.add(new long[] {Long.parseLong(nAndT[0]), Long.parseLong(nAndT[1]), System.currentTimeMillis()});
        }

        /** When this recipient first got a message sent at or after {@code t}, or -1. */
        long firstSentAfter(long t) {
            synchronized (got) {
                return got.stream().filter(g -> g[1] >= t).mapToLong(g -> g[2]).min().orElse(-1);
            }
        }
    }

    private record Fault(String name, String what, long resumedMs) {}

    public static void main(String[] args) throws Exception {
        Path data = Files.createTempDirectory("fault-run-clients");
        List<Fault> faults = new ArrayList<>();
        Map<String, AtomicLong> rss = new ConcurrentHashMap<>();
        AtomicBoolean sampling = new AtomicBoolean(true);
        int code;
        try (Cluster cluster = Cluster.startWithBrokers("fault-run", 3)) {
            Map<String, String> routerSettings = Map.of("pigeonhole.router.replication-factor", "3",
                    "pigeonhole.router.min-insync-replicas", "2", "pigeonhole.router.rocksdb-memory", ROCKSDB_MEMORY);
            ServiceProcess routerA = cluster.router("fr-router-a", routerSettings);
            ServiceProcess routerB = cluster.router("fr-router-b", routerSettings);
            ServiceProcess gateway = cluster.gateway("fr-gateway", Map.of("pigeonhole.auth.dev-identity", "true",
                    "pigeonhole.gateway.send-timeout", "PT5S"));
            ServiceProcess delivery = cluster.delivery("fr-delivery", routerB);
            Cluster.startAll(routerA, routerB, gateway, delivery);
            Thread sampler = new Thread(() -> {
                while (sampling.get()) {
                    for (ServiceProcess r : List.of(routerA, routerB)) {
                        long kib = r.pid() < 0 ? 0 : rssKib(r.pid());
                        rss.computeIfAbsent(r.toString(), k -> new AtomicLong()).accumulateAndGet(kib, Math::max);
                    }
                    ServiceProcess.sleep(1000);
                }
            });
            sampler.setDaemon(true);
            sampler.start();

            long filled = fill(gateway);
            long routed = System.nanoTime();
            routerB.awaitStored("fr-filler", filled, Duration.ofMinutes(15)); // its own copies: the routers caught up
            System.out.printf("routers caught up %.1f s after the last accepted fill message%n",
                    (System.nanoTime() - routed) / 1e9);
            List<PigeonholeClient> senders = new ArrayList<>();
            List<PigeonholeClient> recipients = new ArrayList<>();
            List<Inbox> inboxes = new ArrayList<>();
            for (int i = 0; i < PAIRS; i++) {
                Inbox inbox = new Inbox();
                inboxes.add(inbox);
                recipients.add(PigeonholeClient.start(options(delivery, "fr-r" + i, data).window(1024).build(), inbox));
                senders.add(PigeonholeClient.start(options(gateway, "fr-s" + i, data).build(), new Listener() { }));
            }
            List<List<Outgoing>> sent = new ArrayList<>();
            IntStream.range(0, PAIRS).forEach(i -> sent.add(Collections.synchronizedList(new ArrayList<>())));
            AtomicBoolean sending = new AtomicBoolean(true);
            Thread load = new Thread(() -> {
                long period = 1_000_000_000L / RATE;
                long next = System.nanoTime();
                for (long k = 0; sending.get(); k++) {
                    int pair = (int) (k % PAIRS);
                    sent.get(pair).add(senders.get(pair).sendText("fr-r" + pair,
                            sent.get(pair).size() + " " + System.currentTimeMillis() + " " + PADDING));
                    next += period;
                    long wait = next - System.nanoTime();
                    if (wait > 0) {
                        ServiceProcess.sleep(wait / 1_000_000);
                    }
                }
            });
            load.start();
            long steady = System.currentTimeMillis() + 120_000;
            while (inboxes.stream().anyMatch(in -> in.got.isEmpty()) && System.currentTimeMillis() < steady) {
                ServiceProcess.sleep(100);
            }
            ServiceProcess.sleep(20_000); // steady state before the first fault
            diagnose(inboxes, recipients, senders, sent, 0);
            java.util.function.LongConsumer diag = t0 -> diagnose(inboxes, recipients, senders, sent, t0);

            faults.add(fault(inboxes, "router SIGKILL", "1 of 2 routers killed; the other takes its tasks; restarted",
                    () -> routerA.kill(), () -> routerA.start().awaitReady(Duration.ofSeconds(120)), diag));
            faults.add(fault(inboxes, "router SIGSTOP 15 s", "frozen past its session timeout (10 s), then woken: fenced",
                    () -> routerA.pause(), () -> {
                        ServiceProcess.sleep(15_000);
                        routerA.resume();
                    }, diag));
            faults.add(fault(inboxes, "delivery SIGKILL", "the only delivery pod killed and restarted",
                    () -> delivery.kill(), () -> delivery.start().awaitReady(Duration.ofSeconds(120)), diag));
            faults.add(fault(inboxes, "gateway SIGKILL", "the only gateway pod killed and restarted",
                    () -> gateway.kill(), () -> gateway.start().awaitReady(Duration.ofSeconds(120)), diag));
            faults.add(fault(inboxes, "broker SIGKILL", "1 of 3 Kafka nodes killed (2 left: writes go on)",
                    () -> cluster.broker(1).kill(), () -> { }, diag));
            faults.add(fault(inboxes, "2nd broker SIGKILL", "1 of 3 left for 10 s (no write can be replicated), both restarted",
                    () -> cluster.broker(2).kill(), () -> {
                        ServiceProcess.sleep(10_000);
                        cluster.broker(1).start();
                        cluster.broker(2).start();
                    }, diag));
            String cliOutcome = clientKill(gateway, delivery, data, faults);

            sending.set(false);
            load.join();
            int lost = 0;
            int duplicated = 0;
            int reordered = 0;
            long total = 0;
            long accepted = 0;
            long delivered = 0;
            for (int i = 0; i < PAIRS; i++) {
                for (Outgoing o : List.copyOf(sent.get(i))) {
                    o.settled().toCompletableFuture().get(RESUME_WAIT.toSeconds(), TimeUnit.SECONDS);
                    accepted += o.state() == SendState.ACCEPTED ? 1 : 0;
                }
                int n = sent.get(i).size();
                total += n;
                Inbox inbox = inboxes.get(i);
                long deadline = System.nanoTime() + RESUME_WAIT.toNanos();
                while (inbox.got.size() < n && System.nanoTime() < deadline) {
                    ServiceProcess.sleep(100);
                }
                List<Long> seen = inbox.got.stream().map(g -> g[0]).toList();
                delivered += seen.size();
                long distinct = seen.stream().distinct().count();
                lost += (int) (n - distinct);
                duplicated += (int) (seen.size() - distinct);
                for (int k = 1; k < seen.size(); k++) {
                    reordered += seen.get(k) < seen.get(k - 1) ? 1 : 0;
                }
            }
            sampling.set(false);
            sampler.join();
            Stream.concat(senders.stream(), recipients.stream()).forEach(PigeonholeClient::close);
            long stateBytes = sizeOf(cluster.root().resolve("fr-router-a"), "") + sizeOf(cluster.root().resolve("fr-router-b"), "");
            long kafkaBytes = 0;
            for (int i = 1; i <= 3; i++) {
                kafkaBytes += sizeOf(cluster.root().resolve("kafka-" + i), ".log"); // segments: index files are preallocated
            }
            long messages = filled + total + 100;

            System.out.printf("%nFault run: %d pairs, %d msg/s, after filling %,d inboxes with %,d messages%n", PAIRS, RATE,
                    FILL, filled);
            System.out.println("| fault | what | live delivery resumed after |");
            System.out.println("|---|---|---|");
            for (Fault f : faults) {
                System.out.printf("| %s | %s | %s |%n", f.name(), f.what(), f.resumedMs() < 0
                        ? "not within " + RESUME_WAIT.toSeconds() + " s" : String.format("%.1f s", f.resumedMs() / 1e3));
            }
            System.out.printf("%nSent %,d, accepted %,d, delivered %,d: lost %d, duplicated %d, reordered %d%n", total,
                    accepted, delivered, lost, duplicated, reordered);
            System.out.println("Client process SIGKILLed mid-send: " + cliOutcome);
            rss.forEach((name, kib) -> System.out.printf("Router %s: peak RSS %,d MiB (-Xmx384m, rocksdb-memory %d MiB)%n",
                    name, kib.get() / 1024, Long.parseLong(ROCKSDB_MEMORY) >> 20));
            System.out.printf("Disk for %,d messages (2 copies each: recipient's and sender's inbox): router state (RocksDB,"
                    + " both routers) %,d MiB = %,d bytes per message; Kafka log segments (3 nodes, every topic 3 replicas)"
                    + " %,d MiB = %,d bytes per message%n", messages, stateBytes >> 20, stateBytes / messages, kafkaBytes >> 20,
                    kafkaBytes / messages);
            code = lost + duplicated + reordered == 0 && accepted == total && cliOutcome.startsWith("100 of 100") ? 0 : 1;
        } finally {
            TestFiles.delete(data);
        }
        System.exit(code);
    }

    private static ClientOptions.Builder options(ServiceProcess server, String user, Path data) {
        return ClientOptions.builder(URI.create(server.ws("")), user, "phone").dataDir(data.resolve(user))
                .pingInterval(Duration.ofSeconds(5)).backoff(Duration.ofMillis(500), Duration.ofSeconds(5));
    }

    /**
     * Injects a fault, recovers from it (restart, wake), and measures from the injection until every recipient got a
     * message sent after it; then lets traffic settle for 10 s.
     */
    private static Fault fault(List<Inbox> inboxes, String name, String what, Runnable inject, Runnable recover,
                               java.util.function.LongConsumer onTimeout) {
        System.out.printf("%tT fault: %s%n", System.currentTimeMillis(), name);
        long t0 = System.currentTimeMillis();
        inject.run();
        recover.run();
        long deadline = t0 + RESUME_WAIT.toMillis();
        long resumed = -1;
        while (System.currentTimeMillis() < deadline) {
            long last = 0;
            for (Inbox inbox : inboxes) {
                long at = inbox.firstSentAfter(t0);
                last = at < 0 ? -1 : Math.max(last, at);
                if (at < 0) {
                    break;
                }
            }
            if (last > 0) {
                resumed = last - t0;
                break;
            }
            ServiceProcess.sleep(100);
        }
        System.out.printf("%tT resumed after %d ms%n", System.currentTimeMillis(), resumed);
        if (resumed < 0) {
            onTimeout.accept(t0);
        }
        ServiceProcess.sleep(10_000);
        return new Fault(name, what, resumed);
    }

    /**
     * A client in its own JVM (the CLI) queues 100 messages and is SIGKILLed after some were answered; a new run on
     * the same data directory flushes the outbox. The recipient must get the 100 once, in order.
     */
    private static String clientKill(ServiceProcess gateway, ServiceProcess delivery, Path data, List<Fault> faults)
            throws Exception {
        System.out.printf("%tT fault: client SIGKILL%n", System.currentTimeMillis());
        Inbox inbox = new Inbox();
        try (PigeonholeClient recipient = PigeonholeClient.start(options(delivery, "fr-cli-r", data).window(1024).build(),
                inbox)) {
            Path dir = data.resolve("fr-cli");
            Process first = CliProcess.start(gateway.ws(""), "fr-cli", dir, "send", "--to", "fr-cli-r", "--wait", "PT10M");
            try (Writer in = new OutputStreamWriter(first.getOutputStream(), StandardCharsets.UTF_8)) {
                for (int i = 0; i < 100; i++) {
                    in.write(i + " " + System.currentTimeMillis() + "\n");
                }
            }
            CliProcess.awaitLines(first, Map.of("accepted ", 10), RESUME_WAIT);
            long t0 = System.currentTimeMillis();
            first.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            Process flush = CliProcess.start(gateway.ws(""), "fr-cli", dir, "flush", "--wait", "PT60S");
            boolean flushed = flush.waitFor(90, TimeUnit.SECONDS) && flush.exitValue() == 0;
            long deadline = System.nanoTime() + RESUME_WAIT.toNanos();
            while (inbox.got.size() < 100 && System.nanoTime() < deadline) {
                ServiceProcess.sleep(100);
            }
            ServiceProcess.sleep(1000);
            long resumed = inbox.got.stream().mapToLong(g -> g[2]).max().orElse(t0) - t0;
            faults.add(new Fault("client SIGKILL", "a client process killed after 10 of 100 answered, then restarted (`flush`): all 100 delivered after",
                    flushed ? resumed : -1));
            List<Long> seen = inbox.got.stream().map(g -> g[0]).toList();
            boolean exact = seen.equals(IntStream.range(0, 100).mapToObj(i -> (long) i).toList());
            return (exact ? "100 of 100" : seen.size() + " of 100") + " delivered" + (exact ? " once, in order" : ": " + seen)
                    + (flushed ? "" : " (flush did not finish)");
        }
    }

    /** Prints the pairs whose recipient got nothing sent at or after {@code t0}: what each side knows. */
    private static void diagnose(List<Inbox> inboxes, List<PigeonholeClient> recipients, List<PigeonholeClient> senders,
                                 List<List<Outgoing>> sent, long t0) {
        for (int i = 0; i < inboxes.size(); i++) {
            if (inboxes.get(i).firstSentAfter(t0) < 0) {
                System.out.printf("  pair %d: recipient %s, %d received, position %d; sender %s, %d sent, %d pending%n", i,
                        recipients.get(i).state(), inboxes.get(i).got.size(), recipients.get(i).position(),
                        senders.get(i).state(), sent.get(i).size(), senders.get(i).pending().size());
            }
        }
    }

    /** {@code FILL} inboxes with {@code FILL_EACH} messages each, pipelined on one socket; returns how many. */
    private static long fill(ServiceProcess gateway) {
        long t0 = System.nanoTime();
        List<String> ids = new ArrayList<>();
        try (TestSender sender = new TestSender(gateway.ws(""), "fr-filler", "bulk")) {
            for (int k = 0; k < FILL_EACH; k++) {
                for (int u = 0; u < FILL; u++) {
                    String id = "fill-" + k + "-" + u;
                    ids.add(id);
                    sender.send(id, "fr-box-" + u, "{\"text\":\"" + "x".repeat(200) + "\"}");
                    if (ids.size() % 1000 == 0) {
                        sender.awaitReplies(ids.subList(ids.size() - 1000, ids.size() - 500), 1, RESUME_WAIT);
                    }
                }
            }
            sender.awaitReplies(ids, 1, RESUME_WAIT);
            long refused = ids.stream().filter(id -> !(sender.replies(id).get(0) instanceof ServerFrame.Accepted)).count();
            System.out.printf("filled %,d inboxes with %,d messages in %.1f s (%d refused)%n", FILL, ids.size(),
                    (System.nanoTime() - t0) / 1e9, refused);
            return ids.size() - refused;
        }
    }

    private static long rssKib(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | RuntimeException e) {
            // not running right now (killed, restarting)
        }
        return 0;
    }

    private static long sizeOf(Path dir, String suffix) throws IOException {
        if (!Files.exists(dir)) {
            return 0;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(p -> Files.isRegularFile(p) && p.toString().endsWith(suffix))
                    .mapToLong(p -> p.toFile().length()).sum();
        }
    }
}
