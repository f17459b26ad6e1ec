package dev.pigeonhole.standalone.bench;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import dev.pigeonhole.protocol.Json;
import dev.pigeonhole.records.Entry;
import dev.pigeonhole.records.InboxOp;
import dev.pigeonhole.records.InboxPage;
import dev.pigeonhole.records.Topics;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Flow control under a huge backlog (S8): one device drains an N-entry backlog, and the server's heap must not grow
 * with N. The stack runs in a child JVM (the standalone jar: embedded broker + router + gateway + delivery), so the
 * heap measured is the server's.
 *
 * <p>For each backlog size (default 100,000 then 1,000,000, on the same stack, each for a fresh recipient, after an
 * unreported 50,000 warm-up so that neither meets a cold JVM):
 * <ol>
 *   <li>forced GC ({@code jcmd <pid> GC.run}) → heap "before fill";</li>
 *   <li>fill: N sends written straight to {@code pigeonhole-inbox-ops} by a plain producer as the gateway writes
 *       them after {@code accepted} (the recipient's copy and the sender's own), from {@code bench.senders} senders
 *       to one recipient; timed until the
 *       router's read API reports the recipient's inbox head = N;</li>
 *   <li>forced GC → heap "after fill";</li>
 *   <li>drain: one WebSocket ({@code java.net.http}) on {@code /v1/inbox?after=0&window=W} reads {@code backlog}, seq 1..N in order,
 *       {@code caught_up}, acking cumulatively every {@code bench.ackEvery} entries; timed from connect to
 *       {@code caught_up}. Meanwhile the server's heap is sampled from {@code /q/metrics}, and its GC log gives
 *       the exact heap before and after every collection during the drain;</li>
 *   <li>forced GC → heap "after drain".</li>
 * </ol>
 *
 * <p>Run: {@code ./mvnw -B -Pbacklog-bench -pl standalone -am verify -DskipTests
 * [-Dbench.backlogs=100000,1000000 -Dbench.stack.xmx=1g -Dbench.window=1024 -Dbench.histo=true]}
 * ({@code bench.histo}: class histograms of the live heap before the fill and after the drain, and what grew)
 */
public final class BacklogDrainBench {
    private static final String SECRET = "backlog-bench-secret";
    private static final List<Long> BACKLOGS = parseSizes(System.getProperty("bench.backlogs", "100000,1000000"));
    /** A first, unreported backlog so the measured runs meet a warm JVM (0: none). */
    private static final long WARMUP = Long.getLong("bench.warmupBacklog", 50_000);
    private static final int SENDERS = Integer.getInteger("bench.senders", 1000);
    private static final int WINDOW = Integer.getInteger("bench.window", 1024);
    private static final int ACK_EVERY = Integer.getInteger("bench.ackEvery", 256);
    private static final String XMX = System.getProperty("bench.stack.xmx", "1g");
    /** Also take class histograms (live objects) before the fill and after the drain and print what grew most. */
    private static final boolean HISTO = Boolean.getBoolean("bench.histo");
    private static final String BODY_PAD = "x".repeat(Integer.getInteger("bench.body", 64));
    private static final Duration FILL_TIMEOUT = Duration.ofMinutes(Integer.getInteger("bench.fillTimeoutMinutes", 45));
    private static final Duration DRAIN_TIMEOUT = Duration.ofMinutes(Integer.getInteger("bench.drainTimeoutMinutes", 30));
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private static final double MB = 1024.0 * 1024.0;

    private BacklogDrainBench() {}

    public static void main(String[] args) throws Exception {
        Path root = Path.of(System.getProperty("pigeonhole.root", "..")).toAbsolutePath().normalize();
        Path data = Files.createTempDirectory("pigeonhole-backlog-bench");
        Path stackLog = root.resolve("standalone/target/backlog-bench-stack.log");
        Path gcLog = root.resolve("standalone/target/backlog-bench-gc.log");
        Files.deleteIfExists(gcLog);
        int port = freePort();
        int kafkaPort = freePort();
        int managementPort = freePort();
        long maxBacklog = BACKLOGS.stream().mapToLong(Long::longValue).max().orElse(0);
        List<String> cmd = new ArrayList<>(List.of(javaBin(), "-Xmx" + XMX, "-Xlog:gc:file=" + gcLog + ":uptime",
                "-Dpigeonhole.internal.secret=" + SECRET, "-Dquarkus.management.port=" + managementPort,
                // nothing may be trimmed: the drain must see 1..N without gaps
                "-Dpigeonhole.router.retention.max-entries=" + Math.max(100_000, 2 * maxBacklog)));
        for (String opt : System.getProperty("bench.stack.opts", "").split(" ")) {
            if (!opt.isBlank()) {
                cmd.add(opt);
            }
        }
        cmd.addAll(List.of("-jar", root.resolve("standalone/target/quarkus-app/quarkus-run.jar").toString(),
                "--port", Integer.toString(port), "--kafka-port", Integer.toString(kafkaPort), "--data-dir", data.toString()));
        Process stack = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(stackLog.toFile()).start();
        Server server = new Server(port, managementPort, stack, gcLog);
        List<Result> results = new ArrayList<>();
        try {
            awaitReady(managementPort, stack);
            System.out.printf("%nPigeonhole backlog drain benchmark: backlogs %s after a %,d warm-up, %d senders -> 1 recipient,"
                    + " window %d, ack every %d, ~%d-byte bodies%n", BACKLOGS, WARMUP, SENDERS, WINDOW, ACK_EVERY,
                    BODY_PAD.length() + 20);
            System.out.printf("machine: %d cores, %.0f GiB RAM, %s %s, Java %s (%s)%n", Runtime.getRuntime().availableProcessors(),
                    totalRamBytes() / (MB * 1024), System.getProperty("os.name"), System.getProperty("os.arch"),
                    System.getProperty("java.version"), System.getProperty("java.vm.name"));
            System.out.printf("stack: child JVM pid %d, -Xmx%s, %s; stack log %s; GC log %s%n", stack.pid(), XMX,
                    server.collector(), stackLog, gcLog);
            if (!System.getProperty("bench.stack.opts", "").isBlank()) {
                System.out.println("stack options: " + System.getProperty("bench.stack.opts"));
            }
            System.out.println("reproduce: ./mvnw -B -Pbacklog-bench -pl standalone -am verify -DskipTests"
                    + " -Dbench.backlogs=" + String.join(",", BACKLOGS.stream().map(String::valueOf).toList())
                    + " -Dbench.warmupBacklog=" + WARMUP + " -Dbench.stack.xmx=" + XMX + (HISTO ? " -Dbench.histo=true" : "")
                    + (System.getProperty("bench.stack.opts", "").isBlank() ? ""
                            : " '-Dbench.stack.opts=" + System.getProperty("bench.stack.opts") + "'"));
            Thread.sleep(3000); // let start-up settle before the first baseline
            String bootstrap = "127.0.0.1:" + kafkaPort;
            if (WARMUP > 0) {
                System.out.printf("%n(warm-up, not reported)");
                runOne(server, bootstrap, "w", WARMUP);
            }
            int run = 0;
            for (long n : BACKLOGS) {
                results.add(runOne(server, bootstrap, "r" + run, n));
                run++;
            }
            System.out.println();
            System.out.println("| backlog | fill s | fill msg/s | drain s | drain entries/s | heap during drain MB: peak (GC log"
                    + " / sampled), max after a GC, max committed | heap after forced GC MB: before fill / after fill / after"
                    + " drain | RSS MB: after fill / after drain |");
            System.out.println("|---|---|---|---|---|---|---|---|");
            for (Result r : results) {
                System.out.println(r.row());
            }
            if (results.size() >= 2) {
                Result small = results.get(0);
                Result big = results.get(results.size() - 1);
                System.out.printf("%nbacklog %.0fx larger: peak heap during drain %.2fx (GC log), max heap after a GC during"
                                + " drain %.2fx, forced-GC heap after drain %.2fx, drain rate %.2fx%n",
                        big.n / (double) small.n, big.gcPeakMb / small.gcPeakMb, big.gcMaxAfterMb / small.gcMaxAfterMb,
                        big.afterDrainMb / small.afterDrainMb, big.drainRate() / small.drainRate());
            }
            System.out.println();
            System.out.println("server log: " + logSummary(stackLog));
        } finally {
            stack.destroy();
            if (!stack.waitFor(60, TimeUnit.SECONDS)) {
                stack.destroyForcibly().waitFor();
            }
            deleteTree(data);
        }
    }

    record Result(long n, double fillSeconds, double drainSeconds, double sampledPeakMb, double gcPeakMb,
                  double gcMaxAfterMb, double gcMaxCommittedMb, int drainGcs, double beforeFillMb, double afterFillMb,
                  double afterDrainMb, double rssAfterFillMb, double rssAfterDrainMb) {
        double drainRate() {
            return n / drainSeconds;
        }

        String row() {
            return String.format("| %,d | %.1f | %,.0f | %.1f | %,.0f | %s / %.0f, %s, %s (%d GCs) | %.0f / %.0f / %.0f | %.0f / %.0f |",
                    n, fillSeconds, n / fillSeconds, drainSeconds, drainRate(), mb(gcPeakMb), sampledPeakMb,
                    mb(gcMaxAfterMb), mb(gcMaxCommittedMb), drainGcs, beforeFillMb, afterFillMb, afterDrainMb,
                    rssAfterFillMb, rssAfterDrainMb);
        }

        private static String mb(double v) {
            return Double.isNaN(v) ? "-" : String.format("%.0f", v);
        }
    }

    private static Result runOne(Server server, String bootstrap, String run, long n) throws Exception {
        String recipient = "bk-" + run;
        String device = "d";
        System.out.printf("%n== backlog %,d for %s ==%n", n, recipient);
        Gc beforeFill = server.forcedGc();
        System.out.printf("heap after forced GC, before fill: %.1f MB%n", beforeFill.afterMb);
        java.util.Map<String, long[]> histoBefore = HISTO ? server.histogram() : null;
        java.util.Map<String, Integer> seriesBefore = HISTO ? server.seriesByName() : null;

        // Fill: straight into the inbox operations, as the gateway writes accepted sends.
        long fillStart = System.nanoTime();
        produce(bootstrap, run, recipient, n);
        double produceSeconds = (System.nanoTime() - fillStart) / 1e9;
        System.out.printf("produced %,d records to %s in %.1f s (%,.0f/s); waiting for the router%n", n,
                Topics.INBOX_OPS.name(), produceSeconds, n / produceSeconds);
        awaitHead(server, recipient, n, fillStart);
        double fillSeconds = (System.nanoTime() - fillStart) / 1e9;
        System.out.printf("filled: head %,d after %.1f s (%,.0f entries/s routed and stored)%n", n, fillSeconds, n / fillSeconds);
        Thread.sleep(2000);
        Gc afterFill = server.forcedGc();
        System.out.printf("heap after forced GC, after fill: %.1f MB%n", afterFill.afterMb);
        long rssAfterFill = server.rss()[0];

        // Drain.
        HeapSampler sampler = new HeapSampler(server);
        Thread samplerThread = new Thread(sampler, "heap-sampler");
        samplerThread.setDaemon(true);
        samplerThread.start();
        Drain drain = new Drain(n);
        long drainStart = System.nanoTime();
        drain.start = drainStart;
        WebSocket ws = HTTP.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5))
                .buildAsync(URI.create("ws://127.0.0.1:" + server.port + "/v1/inbox?user=" + recipient + "&device=" + device
                        + "&after=0&window=" + WINDOW), drain).get(10, TimeUnit.SECONDS);
        long lastCount = 0;
        long lastTick = drainStart;
        while (!drain.done.await(10, TimeUnit.SECONDS)) {
            long now = System.nanoTime();
            long count = drain.messages.get();
            System.out.printf("  t=%4.0fs delivered %,d (%,.0f/s in the last interval), heap now %.0f MB, sampled peak %.0f MB%n",
                    (now - drainStart) / 1e9, count, (count - lastCount) / ((now - lastTick) / 1e9),
                    sampler.last / MB, sampler.peak / MB);
            lastCount = count;
            lastTick = now;
            if (!server.process.isAlive()) {
                drain.fail("the standalone process exited with " + server.process.exitValue());
            }
            if (now - drainStart > DRAIN_TIMEOUT.toNanos()) {
                drain.fail("no caught_up within " + DRAIN_TIMEOUT + " (delivered " + count + ")");
            }
        }
        double drainSeconds = (drain.caughtUpAt - drainStart) / 1e9;
        sampler.stop = true;
        samplerThread.join();
        if (drain.failure.get() != null) {
            throw new IllegalStateException("drain of " + n + " failed: " + drain.failure.get());
        }
        System.out.printf("drained %,d entries (backlog frame said %,d) in %.1f s: %,.0f entries/s; first message after %.0f ms%n",
                drain.messages.get(), drain.backlogCount, drainSeconds, n / drainSeconds,
                (drain.firstMessageAt - drainStart) / 1e6);
        drain.ack(ws, n).get(10, TimeUnit.SECONDS);
        try {
            awaitCursor(server, recipient, device, n, Duration.ofSeconds(60));
        } catch (IllegalStateException e) {
            System.out.println("warning: " + e.getMessage());
        }
        ws.sendClose(WebSocket.NORMAL_CLOSURE, "done").get(10, TimeUnit.SECONDS);
        Thread.sleep(2000);
        Gc afterDrain = server.forcedGc();
        List<Gc> during = server.gcsBetween(afterFill.id, afterDrain.id);
        double gcPeak = during.stream().mapToDouble(g -> g.beforeMb).max().orElse(Double.NaN);
        // after a collection that frees memory (Remark and Cleanup pauses report the heap as it is)
        double gcMaxAfter = during.stream().filter(g -> g.kind.startsWith("Pause Young") || g.kind.startsWith("Pause Full"))
                .mapToDouble(g -> g.afterMb).max().orElse(Double.NaN);
        double gcMaxCommitted = during.stream().mapToDouble(g -> g.committedMb).max().orElse(Double.NaN);
        System.out.printf("heap after forced GC, after drain: %.1f MB%n", afterDrain.afterMb);
        if (HISTO) {
            printGrowth(histoBefore, server.histogram());
            java.util.Map<String, Integer> seriesAfter = server.seriesByName();
            int before = seriesBefore.values().stream().mapToInt(Integer::intValue).sum();
            int after = seriesAfter.values().stream().mapToInt(Integer::intValue).sum();
            StringBuilder grew = new StringBuilder();
            seriesAfter.forEach((name, count) -> {
                int was = seriesBefore.getOrDefault(name, 0);
                if (count > was) {
                    grew.append(String.format("%n  %+d %s", count - was, name));
                }
            });
            System.out.printf("/q/metrics series: %d before the fill, %d after the drain%s%n", before, after, grew);
        }
        System.out.printf("during the drain: %d GCs, heap before GC max %.0f MB, after GC max %.0f MB, committed max %.0f MB;"
                        + " sampled peak %.0f MB (%d samples)%n", during.size(), gcPeak, gcMaxAfter, gcMaxCommitted,
                sampler.peak / MB, sampler.samples);
        long[] rss = server.rss();
        System.out.printf("server RSS: after fill %.0f MB, after drain %.0f MB, peak so far %.0f MB%n", rssAfterFill / 1024.0,
                rss[0] / 1024.0, rss[1] / 1024.0);
        return new Result(n, fillSeconds, drainSeconds, sampler.peak / MB, gcPeak, gcMaxAfter, gcMaxCommitted, during.size(),
                beforeFill.afterMb, afterFill.afterMb, afterDrain.afterMb, rssAfterFill / 1024.0, rss[0] / 1024.0);
    }

    /** N sends from {@link #SENDERS} senders to {@code recipient}, ids unique per sender. */
    private static void produce(String bootstrap, String run, String recipient, long n) throws Exception {
        Properties pp = new Properties();
        pp.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        pp.put(ProducerConfig.ACKS_CONFIG, "all");
        pp.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        pp.put(ProducerConfig.LINGER_MS_CONFIG, 10);
        pp.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
        AtomicReference<Exception> failed = new AtomicReference<>();
        try (KafkaProducer<String, InboxOp> producer = new KafkaProducer<>(pp, Topics.INBOX_OPS.keySerde().serializer(),
                Topics.INBOX_OPS.valueSerde().serializer())) {
            for (long i = 0; i < n; i++) {
                String sender = "bs-" + run + "-" + (i % SENDERS);
                long now = System.currentTimeMillis();
                byte[] body = Json.writeBytes(Json.MAPPER.createObjectNode().put("n", i).put("pad", BODY_PAD));
                for (boolean own : new boolean[] {false, true}) {
                    Entry copy = Entry.message("m-" + i, sender, "phone", recipient, now, own, body);
                    producer.send(new ProducerRecord<>(Topics.INBOX_OPS.name(), null, now, own ? sender : recipient,
                            new InboxOp.Append(copy)), (md, e) -> {
                        if (e != null) {
                            failed.compareAndSet(null, e);
                        }
                    });
                }
            }
            producer.flush();
        }
        if (failed.get() != null) {
            throw new IllegalStateException("produce failed", failed.get());
        }
    }

    /** Reads frames, checks 1..N in order, acks every {@link #ACK_EVERY}. Frames are handled one at a time. */
    static final class Drain implements WebSocket.Listener {
        final long n;
        final CountDownLatch done = new CountDownLatch(1);
        final AtomicLong messages = new AtomicLong();
        final AtomicReference<String> failure = new AtomicReference<>();
        volatile long start;
        volatile long firstMessageAt;
        volatile long caughtUpAt;
        volatile long backlogCount = -1;
        private long expected = 1;
        private final StringBuilder partial = new StringBuilder();
        private CompletableFuture<WebSocket> sending = CompletableFuture.completedFuture(null);

        Drain(long n) {
            this.n = n;
        }

        @Override
        public void onOpen(WebSocket webSocket) {
            webSocket.request(1);
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                String frame = partial.toString();
                partial.setLength(0);
                try {
                    handle(webSocket, frame);
                } catch (IOException | RuntimeException e) {
                    fail("bad frame " + frame + ": " + e);
                }
            }
            webSocket.request(1);
            return null;
        }

        private void handle(WebSocket ws, String frame) throws IOException {
            String type = null;
            long seq = -1;
            try (JsonParser p = Json.MAPPER.getFactory().createParser(frame)) {
                p.nextToken();
                while (p.nextToken() == JsonToken.FIELD_NAME && (type == null || seq < 0)) {
                    String field = p.currentName();
                    JsonToken value = p.nextToken();
                    if ("type".equals(field)) {
                        type = p.getText();
                    } else if ("seq".equals(field)) {
                        seq = p.getLongValue();
                    } else if (value == JsonToken.START_OBJECT || value == JsonToken.START_ARRAY) {
                        p.skipChildren();
                    }
                }
            }
            if ("message".equals(type)) {
                if (seq != expected) {
                    fail("expected seq " + expected + ", got " + seq);
                    return;
                }
                if (expected == 1) {
                    firstMessageAt = System.nanoTime();
                }
                expected++;
                messages.incrementAndGet();
                if (seq % ACK_EVERY == 0) {
                    ack(ws, seq);
                }
                return;
            }
            JsonNode node = Json.MAPPER.readTree(frame);
            switch (String.valueOf(type)) {
                case "backlog" -> {
                    backlogCount = node.path("count").asLong();
                    if (backlogCount != n || node.path("head").asLong() != n) {
                        fail("backlog frame " + frame + " does not announce " + n);
                    }
                }
                case "caught_up" -> {
                    caughtUpAt = System.nanoTime();
                    if (messages.get() != n || seq != n) {
                        fail("caught_up " + frame + " after " + messages.get() + " messages, expected " + n);
                    }
                    done.countDown();
                }
                default -> fail("unexpected frame " + frame);
            }
        }

        synchronized CompletableFuture<WebSocket> ack(WebSocket ws, long seq) {
            sending = sending.thenCompose(ignored -> ws.sendText("{\"type\":\"ack\",\"seq\":" + seq + "}", true));
            return sending;
        }

        void fail(String why) {
            failure.compareAndSet(null, why);
            done.countDown();
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            if (done.getCount() > 0) {
                fail("closed by the server: " + statusCode + " " + reason);
            }
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            fail("socket error: " + error);
        }
    }

    /** The classes whose live bytes grew most between two histograms (before the fill, after the drain). */
    private static void printGrowth(java.util.Map<String, long[]> before, java.util.Map<String, long[]> after) {
        long total = 0;
        List<java.util.Map.Entry<String, long[]>> grown = new ArrayList<>();
        for (var e : after.entrySet()) {
            long[] b = before.getOrDefault(e.getKey(), new long[2]);
            long[] d = {e.getValue()[0] - b[0], e.getValue()[1] - b[1]};
            total += d[1];
            grown.add(java.util.Map.entry(e.getKey(), d));
        }
        for (var e : before.entrySet()) {
            if (!after.containsKey(e.getKey())) {
                total -= e.getValue()[1];
            }
        }
        grown.sort((x, y) -> Long.compare(y.getValue()[1], x.getValue()[1]));
        System.out.printf("live heap by class, after drain minus before fill: %+.1f MB in total; largest growth:%n", total / MB);
        for (var e : grown.subList(0, Math.min(12, grown.size()))) {
            System.out.printf("  %+10.1f KB %+9d instances  %s%n", e.getValue()[1] / 1024.0, e.getValue()[0], e.getKey());
        }
    }

    /** Polls the server's heap use (sum of the heap pools in /q/metrics) while the drain runs. */
    static final class HeapSampler implements Runnable {
        private final Server server;
        volatile boolean stop;
        volatile double peak;
        volatile double last;
        volatile int samples;

        HeapSampler(Server server) {
            this.server = server;
        }

        @Override
        public void run() {
            while (!stop) {
                try {
                    double used = server.heapUsed();
                    last = used;
                    peak = Math.max(peak, used);
                    samples++;
                    Thread.sleep(200);
                } catch (InterruptedException e) {
                    return;
                } catch (IOException | RuntimeException e) {
                    // a missed sample
                }
            }
        }
    }

    /** One collection from the GC log: id, kind, heap before and after in MB. */
    record Gc(int id, String kind, double beforeMb, double afterMb, double committedMb) {}

    /** The stack's child JVM: its HTTP endpoints, jcmd and GC log. */
    static final class Server {
        private static final Pattern GC_LINE = Pattern.compile(
                "GC\\((\\d+)\\) (Pause .*?) (\\d+)([KMG])->(\\d+)([KMG])\\((\\d+)([KMG])\\)");
        private static final Pattern HEAP_SAMPLE = Pattern.compile(
                "^jvm_memory_used_bytes\\{[^}]*area=\"heap\"[^}]*\\} ([0-9.eE+-]+)");
        final int port;
        final int managementPort;
        final long pid;
        final Path gcLog;
        private final Process process;

        Server(int port, int managementPort, Process process, Path gcLog) {
            this.port = port;
            this.managementPort = managementPort;
            this.process = process;
            this.pid = process.pid();
            this.gcLog = gcLog;
        }

        /** Fails at once when the stack's JVM is gone (instead of polling it until a timeout). */
        void checkAlive() {
            if (!process.isAlive()) {
                throw new IllegalStateException("the standalone process exited with " + process.exitValue()
                        + "; see standalone/target/backlog-bench-stack.log");
            }
        }

        String collector() throws IOException {
            for (String line : Files.readAllLines(gcLog)) {
                int i = line.indexOf("Using ");
                if (i >= 0) {
                    return line.substring(i + "Using ".length()) + " GC";
                }
            }
            return "unknown GC";
        }

        /** {@code jcmd <pid> GC.run}, then the resulting full collection from the GC log. */
        Gc forcedGc() throws Exception {
            checkAlive();
            int lastId = gcs().stream().mapToInt(Gc::id).max().orElse(-1);
            Process jcmd = new ProcessBuilder(jcmdBin(), Long.toString(pid), "GC.run").redirectErrorStream(true).start();
            String out = new String(jcmd.getInputStream().readAllBytes());
            if (jcmd.waitFor() != 0) {
                throw new IllegalStateException("jcmd GC.run failed: " + out);
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (System.nanoTime() < deadline) {
                for (Gc g : gcs()) {
                    if (g.id > lastId && g.kind.startsWith("Pause Full")) {
                        return g;
                    }
                }
                Thread.sleep(50);
            }
            throw new IllegalStateException("no full collection in " + gcLog + " after jcmd GC.run");
        }

        /** {@code jcmd <pid> GC.class_histogram} (live objects: a full GC first): class -> {instances, bytes}. */
        java.util.Map<String, long[]> histogram() throws Exception {
            Process jcmd = new ProcessBuilder(jcmdBin(), Long.toString(pid), "GC.class_histogram").redirectErrorStream(true).start();
            String out = new String(jcmd.getInputStream().readAllBytes());
            if (jcmd.waitFor() != 0) {
                throw new IllegalStateException("jcmd GC.class_histogram failed: " + out);
            }
            java.util.Map<String, long[]> byClass = new java.util.HashMap<>();
            Pattern row = Pattern.compile("^\\s*\\d+:\\s+(\\d+)\\s+(\\d+)\\s+(\\S+)");
            for (String line : out.split("\n")) {
                Matcher m = row.matcher(line);
                if (m.find()) {
                    byClass.merge(m.group(3), new long[] {Long.parseLong(m.group(1)), Long.parseLong(m.group(2))},
                            (a, b) -> new long[] {a[0] + b[0], a[1] + b[1]});
                }
            }
            return byClass;
        }

        List<Gc> gcs() throws IOException {
            List<Gc> all = new ArrayList<>();
            if (!Files.exists(gcLog)) {
                return all;
            }
            for (String line : Files.readAllLines(gcLog)) {
                Matcher m = GC_LINE.matcher(line);
                if (m.find()) {
                    all.add(new Gc(Integer.parseInt(m.group(1)), m.group(2).trim(), mb(m.group(3), m.group(4)),
                            mb(m.group(5), m.group(6)), mb(m.group(7), m.group(8))));
                }
            }
            return all;
        }

        /** Collections strictly between two (forced) ones: what happened during the drain. */
        List<Gc> gcsBetween(int afterId, int beforeId) throws IOException {
            return gcs().stream().filter(g -> g.id > afterId && g.id < beforeId).toList();
        }

        /** Number of samples per metric name in /q/metrics (meters registered: cardinality). */
        java.util.Map<String, Integer> seriesByName() throws IOException, InterruptedException {
            String body = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + managementPort + "/q/metrics"))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString()).body();
            java.util.Map<String, Integer> byName = new java.util.TreeMap<>();
            for (String line : body.split("\n")) {
                if (!line.isBlank() && !line.startsWith("#")) {
                    int end = line.indexOf('{');
                    byName.merge(line.substring(0, end < 0 ? line.indexOf(' ') : end), 1, Integer::sum);
                }
            }
            return byName;
        }

        double heapUsed() throws IOException, InterruptedException {
            String body = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + managementPort + "/q/metrics"))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString()).body();
            double sum = 0;
            boolean found = false;
            for (String line : body.split("\n")) {
                Matcher m = HEAP_SAMPLE.matcher(line);
                if (m.find()) {
                    sum += Double.parseDouble(m.group(1));
                    found = true;
                }
            }
            if (!found) {
                throw new IllegalStateException("no jvm_memory_used_bytes{area=\"heap\"} in /q/metrics");
            }
            return sum;
        }

        /** Resident set size now and its peak (VmRSS, VmHWM) in KiB; -1 when unknown. */
        long[] rss() {
            long[] kb = {-1, -1};
            try {
                for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                    if (line.startsWith("VmRSS:")) {
                        kb[0] = Long.parseLong(line.replaceAll("\\D", ""));
                    } else if (line.startsWith("VmHWM:")) {
                        kb[1] = Long.parseLong(line.replaceAll("\\D", ""));
                    }
                }
            } catch (IOException | RuntimeException e) {
                // not Linux
            }
            return kb;
        }

        private static double mb(String value, String unit) {
            double v = Double.parseDouble(value);
            return switch (unit) {
                case "K" -> v / 1024;
                case "G" -> v * 1024;
                default -> v;
            };
        }
    }

    private static InboxPage page(Server server, String user, String query) throws IOException, InterruptedException {
        HttpResponse<byte[]> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port
                        + "/internal/v1/inbox/" + user + "?" + query)).header("X-Pigeonhole-Internal", SECRET)
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofByteArray());
        return r.statusCode() == 200 ? InboxPage.decode(r.body()) : null;
    }

    /** Waits until the router stored all N entries of the recipient; prints progress every 30 s. */
    private static void awaitHead(Server server, String user, long n, long since) throws Exception {
        long deadline = System.nanoTime() + FILL_TIMEOUT.toNanos();
        long lastPrint = System.nanoTime();
        long lastHead = 0;
        while (System.nanoTime() < deadline) {
            server.checkAlive();
            InboxPage p = null;
            try {
                p = page(server, user, "limit=1");
            } catch (IOException e) {
                // retry
            }
            long head = p == null ? 0 : p.head();
            if (head >= n) {
                if (head > n) {
                    throw new IllegalStateException(user + "'s head is " + head + ", more than the " + n + " sent");
                }
                return;
            }
            long now = System.nanoTime();
            if (now - lastPrint >= TimeUnit.SECONDS.toNanos(30)) {
                System.out.printf("  fill t=%4.0fs head %,d (%,.0f entries/s in the last interval)%n", (now - since) / 1e9,
                        head, (head - lastHead) / ((now - lastPrint) / 1e9));
                lastPrint = now;
                lastHead = head;
            }
            Thread.sleep(250);
        }
        throw new IllegalStateException(user + "'s inbox did not reach " + n + " within " + FILL_TIMEOUT);
    }

    private static void awaitCursor(Server server, String user, String device, long seq, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        InboxPage p = null;
        while (System.nanoTime() < deadline) {
            server.checkAlive();
            try {
                p = page(server, user, "limit=1&device=" + device);
                if (p != null && p.after() == seq) {
                    return;
                }
            } catch (IOException e) {
                // retry
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException(device + "'s cursor did not reach " + seq + " within " + timeout + " (last "
                + (p == null ? "none" : p.after()) + ")");
    }

    private static String logSummary(Path log) throws IOException {
        List<String> lines = Files.readAllLines(log);
        long errors = lines.stream().filter(l -> l.contains(" ERROR ")).count();
        long warnings = lines.stream().filter(l -> l.contains(" WARN ")).count();
        StringBuilder s = new StringBuilder(String.format("%d ERROR and %d WARN lines", errors, warnings));
        // by level and logger: "WARN  [org.apache.kafka...] (thread) message"
        Pattern logger = Pattern.compile(" (ERROR|WARN) +\\[([^\\]]+)\\]");
        java.util.Map<String, Long> byLogger = new java.util.TreeMap<>();
        for (String l : lines) {
            Matcher m = logger.matcher(l);
            if (m.find()) {
                byLogger.merge(m.group(1) + " " + m.group(2), 1L, Long::sum);
            }
        }
        byLogger.forEach((k, v) -> s.append(System.lineSeparator()).append("  ").append(v).append(" x ").append(k));
        return s.toString();
    }

    private static List<Long> parseSizes(String s) {
        List<Long> sizes = new ArrayList<>();
        for (String part : s.split(",")) {
            if (!part.isBlank()) {
                sizes.add(Long.parseLong(part.trim().replace("_", "")));
            }
        }
        return sizes;
    }

    private static void awaitReady(int port, Process stack) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
        while (System.nanoTime() < deadline) {
            if (!stack.isAlive()) {
                throw new IllegalStateException("standalone exited with " + stack.exitValue());
            }
            try {
                if (HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/q/health/ready")).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // starting
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("standalone not ready");
    }

    private static long totalRamBytes() {
        java.lang.management.OperatingSystemMXBean os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        return os instanceof com.sun.management.OperatingSystemMXBean sun ? sun.getTotalMemorySize() : 0;
    }

    private static int freePort() throws IOException {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static String javaBin() {
        return ProcessHandle.current().info().command().orElse("java");
    }

    private static String jcmdBin() {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        return Files.isExecutable(jcmd) ? jcmd.toString() : "jcmd";
    }

    private static void deleteTree(Path dir) throws IOException {
        try (var paths = Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
