package dev.pigeonhole.standalone.bench;

import dev.pigeonhole.client.internal.WsConnection;
import dev.pigeonhole.protocol.ServerFrame;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.LongDeserializer;
import org.apache.kafka.common.serialization.LongSerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * N senders -> N recipients through the standalone stack (a child JVM: embedded broker + router + gateway +
 * delivery), next to a plain Kafka producer -> consumer on the same broker as the ceiling, in one run.
 *
 * <p>Paced runs are open-loop: each message has an intended send time and latencies are measured from it, so a
 * stall is not hidden (no coordinated omission). Latency "accepted" is send -> {@code accepted}; "delivered" is
 * send -> the recipient's socket read the {@code message} frame (same JVM clock).
 *
 * <p>Run: {@code ./mvnw -B -Pbench -pl standalone -am verify -DskipTests [-Dbench.rate=1000 -Dbench.seconds=20
 * -Dbench.pairs=50]}
 */
public final class EndToEndBench {
    private static final int RATE = Integer.getInteger("bench.rate", 1000);
    private static final int SECONDS = Integer.getInteger("bench.seconds", 20);
    private static final int WARMUP_SECONDS = Integer.getInteger("bench.warmup", 5);
    private static final int PAIRS = Integer.getInteger("bench.pairs", 50);
    private static final int MAX_IN_FLIGHT = Integer.getInteger("bench.inflight", 200);
    private static final boolean TIMELINE = Boolean.getBoolean("bench.timeline");
    /** Also watch inbound, routed and push with read_committed consumers (adds load to a small machine). */
    private static final boolean BREAKDOWN = Boolean.getBoolean("bench.breakdown");
    private static final String BODY_PAD = "x".repeat(Integer.getInteger("bench.body", 100));

    private EndToEndBench() {}

    public static void main(String[] args) throws Exception {
        Path root = Path.of(System.getProperty("pigeonhole.root", "..")).toAbsolutePath().normalize();
        Path data = Files.createTempDirectory("pigeonhole-bench");
        int port = freePort();
        int kafkaPort = freePort();
        List<String> cmd = new ArrayList<>(List.of(javaBin(), "-Xmx1g"));
        for (String opt : System.getProperty("bench.stack.opts", "").split(" ")) {
            if (!opt.isBlank()) {
                cmd.add(opt);
            }
        }
        cmd.addAll(List.of("-jar", root.resolve("standalone/target/quarkus-app/quarkus-run.jar").toString(),
                "--port", Integer.toString(port), "--kafka-port", Integer.toString(kafkaPort), "--data-dir", data.toString()));
        Process stack = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(root.resolve("standalone/target/bench-stack.log").toFile()).start();
        try {
            awaitReady(port);
            String bootstrap = "127.0.0.1:" + kafkaPort;
            System.out.printf("%nPigeonhole end-to-end benchmark: %d pairs, %d msg/s paced, %d s measured after %d s warm-up,"
                    + " ~%d-byte bodies%n", PAIRS, RATE, SECONDS, WARMUP_SECONDS, BODY_PAD.length() + 30);
            System.out.printf("machine: %d cores, %s %s, Java %s%n%n", Runtime.getRuntime().availableProcessors(),
                    System.getProperty("os.name"), System.getProperty("os.arch"), System.getProperty("java.version"));
            if (!System.getProperty("bench.stack.opts", "").isBlank()) {
                System.out.println("stack options: " + System.getProperty("bench.stack.opts"));
            }
            boolean withKafka = !Boolean.getBoolean("bench.skipKafka");
            Result kafkaPaced = withKafka ? plainKafka(bootstrap, true) : null;
            Result pigeonholePaced = pigeonhole(port, bootstrap, true);
            Result kafkaMax = withKafka ? plainKafka(bootstrap, false) : null;
            Result pigeonholeMax = pigeonhole(port, bootstrap, false);
            System.out.println("| run | accepted msg/s | delivered msg/s | accepted p50 / p99 / p99.9 ms | delivered p50 / p99 / p99.9 / max ms |");
            System.out.println("|---|---|---|---|---|");
            for (Result r : java.util.Arrays.asList(kafkaPaced, pigeonholePaced, kafkaMax, pigeonholeMax)) {
                if (r != null) {
                    System.out.println(r.row());
                }
            }
            if (withKafka) {
                System.out.printf("%nPigeonhole vs plain Kafka in this run: paced delivered p99 %.1fx; sustained delivered"
                                + " throughput %.4fx%n",
                        pigeonholePaced.delivered.getValueAtPercentile(99) / (double) Math.max(1, kafkaPaced.delivered.getValueAtPercentile(99)),
                        pigeonholeMax.deliveredRate / kafkaMax.deliveredRate);
            }
        } finally {
            stack.destroy();
            stack.waitFor(30, TimeUnit.SECONDS);
            deleteTree(data);
        }
    }

    record Result(String name, double rate, double deliveredRate, Histogram accepted, Histogram delivered) {
        String row() {
            return String.format("| %s | %.0f | %.0f | %s | %s / %.1f |", name, rate, deliveredRate, pct(accepted),
                    pct(delivered), delivered.getMaxValue() / 1000.0);
        }

        private static String pct(Histogram h) {
            if (h.getTotalCount() == 0) {
                return "-";
            }
            return String.format("%.1f / %.1f / %.1f", h.getValueAtPercentile(50) / 1000.0,
                    h.getValueAtPercentile(99) / 1000.0, h.getValueAtPercentile(99.9) / 1000.0);
        }
    }

    /** Pigeonhole: PAIRS senders on /v1/send, PAIRS recipients on /v1/inbox acking as they read. */
    private static Result pigeonhole(int port, String bootstrap, boolean paced) throws Exception {
        String run = (paced ? "paced" : "max") + "-" + System.nanoTime();
        HttpClient http = HttpClient.newHttpClient();
        Recorder accepted = new Recorder(3);
        Recorder delivered = new Recorder(3);
        AtomicLong measuring = new AtomicLong(Long.MAX_VALUE); // nanoTime after which samples count
        Map<String, Long> intended = new ConcurrentHashMap<>();
        Map<Long, Histogram> timeline = new java.util.concurrent.ConcurrentSkipListMap<>();
        AtomicLong measuringEnd = new AtomicLong(Long.MAX_VALUE);
        AtomicLong deliveredInWindow = new AtomicLong();
        Semaphore inFlight = new Semaphore(MAX_IN_FLIGHT * PAIRS);
        List<WsConnection> inboxes = new ArrayList<>();
        CountDownLatch caughtUp = new CountDownLatch(PAIRS);
        for (int p = 0; p < PAIRS; p++) {
            WsConnection[] self = new WsConnection[1];
            CountDownLatch ready = new CountDownLatch(1);
            WsConnection c = WsConnection.open(http, URI.create("ws://127.0.0.1:" + port + "/v1/inbox?user=r-" + run + "-" + p
                    + "&device=d&window=1024"), Duration.ofSeconds(5), new WsConnection.Handler() {
                @Override
                public void onFrame(ServerFrame frame) {
                    if (frame instanceof ServerFrame.CaughtUp) {
                        caughtUp.countDown();
                    } else if (frame instanceof ServerFrame.Message m) {
                        long t = m.body().get("t").longValue();
                        long now = System.nanoTime();
                        if (now >= measuring.get() && now < measuringEnd.get()) {
                            deliveredInWindow.incrementAndGet();
                        }
                        if (t >= measuring.get()) {
                            delivered.recordValue(Math.max(1, (now - t) / 1000));
                            if (TIMELINE) {
                                timeline.computeIfAbsent((t - measuring.get()) / 1_000_000_000L, k -> new org.HdrHistogram.ConcurrentHistogram(3))
                                        .recordValue(Math.max(1, (now - t) / 1000));
                            }
                        }
                        awaitQuietly(ready);
                        if (m.seq() % 32 == 0) {
                            self[0].send("{\"type\":\"ack\",\"seq\":" + m.seq() + "}");
                        }
                    }
                }
            }).join();
            self[0] = c;
            ready.countDown();
            inboxes.add(c);
        }
        caughtUp.await(30, TimeUnit.SECONDS);
        List<WsConnection> senders = new ArrayList<>();
        for (int p = 0; p < PAIRS; p++) {
            senders.add(WsConnection.open(http, URI.create("ws://127.0.0.1:" + port + "/v1/send?user=s-" + run + "-" + p
                    + "&device=d"), Duration.ofSeconds(5), frame -> {
                if (frame instanceof ServerFrame.Accepted a) {
                    Long t = intended.remove(a.id());
                    if (t != null && t >= measuring.get()) {
                        accepted.recordValue(Math.max(1, (System.nanoTime() - t) / 1000));
                    }
                    inFlight.release();
                }
            }).join());
        }
        Map<String, Long> sendTimes = new ConcurrentHashMap<>();
        List<HopWatcher> hops = paced && BREAKDOWN ? List.of(
                new HopWatcher(bootstrap, "pigeonhole-inbound", "/id", null, sendTimes, measuring),
                new HopWatcher(bootstrap, "pigeonhole-router-routed-repartition", "/send/id", "/own", sendTimes, measuring),
                new HopWatcher(bootstrap, "pigeonhole-push", "/entry/id", "/entry/own", sendTimes, measuring)) : List.of();
        AtomicLong sent = new AtomicLong();
        long start = System.nanoTime();
        long warmupEnd = start + TimeUnit.SECONDS.toNanos(WARMUP_SECONDS);
        long end = warmupEnd + TimeUnit.SECONDS.toNanos(SECONDS);
        measuring.set(warmupEnd);
        measuringEnd.set(end);
        long sentAtWarmupEnd = -1;
        long seq = 0;
        while (System.nanoTime() < end) {
            long t = paced ? start + rampedOffset(seq) : System.nanoTime();
            if (paced) {
                long wait = t - System.nanoTime();
                if (wait > 0) {
                    TimeUnit.NANOSECONDS.sleep(wait);
                }
            } else {
                inFlight.acquire();
            }
            if (sentAtWarmupEnd < 0 && t >= warmupEnd) {
                sentAtWarmupEnd = sent.get();
            }
            int pair = (int) (seq % PAIRS);
            String id = "b-" + seq;
            intended.put(id, t);
            if (paced) {
                sendTimes.put(id, t);
            }
            senders.get(pair).send("{\"type\":\"send\",\"id\":\"" + id + "\",\"to\":\"r-" + run + "-" + pair
                    + "\",\"body\":{\"t\":" + t + ",\"pad\":\"" + BODY_PAD + "\"}}");
            sent.incrementAndGet();
            seq++;
        }
        double rate = (sent.get() - sentAtWarmupEnd) / (double) SECONDS;
        Thread.sleep(3000); // let the tail arrive
        if (!hops.isEmpty()) {
            System.out.println("Latency breakdown of the paced run (from the intended send time):");
            System.out.println("| hop | samples | p50 ms | p99 ms | max ms |");
            System.out.println("|---|---|---|---|---|");
            for (HopWatcher hop : hops) {
                System.out.println(hop.row());
                hop.close();
            }
        }
        if (TIMELINE) {
            timeline.forEach((second, h) -> System.out.printf("  t=%2ds n=%5d p50=%7.1f p99=%7.1f max=%7.1f ms%n", second,
                    h.getTotalCount(), h.getValueAtPercentile(50) / 1000.0, h.getValueAtPercentile(99) / 1000.0,
                    h.getMaxValue() / 1000.0));
        }
        senders.forEach(WsConnection::close);
        inboxes.forEach(WsConnection::close);
        return new Result("pigeonhole " + (paced ? "paced" : "max"), rate, deliveredInWindow.get() / (double) SECONDS,
                accepted.getIntervalHistogram(),
                delivered.getIntervalHistogram());
    }

    /**
     * Intended send time of message {@code k} (nanos after start) in a paced run: the rate ramps up linearly
     * during the warm-up (a cold JVM would otherwise build a backlog that the measurement then inherits), then
     * stays at {@link #RATE}.
     */
    static long rampedOffset(long k) {
        double w = WARMUP_SECONDS;
        double rampCount = RATE * w / 2;
        double seconds = k < rampCount ? Math.sqrt(2 * w * k / RATE) : w + (k - rampCount) / RATE;
        return (long) (seconds * 1e9);
    }

    /** The ceiling: an idempotent acks=all producer and a read_committed consumer on the same broker. */
    private static Result plainKafka(String bootstrap, boolean paced) throws Exception {
        String topic = "bench-baseline-" + (paced ? "paced" : "max");
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            admin.createTopics(List.of(new NewTopic(topic, 4, (short) 1))).all().get();
        }
        Recorder accepted = new Recorder(3);
        Recorder delivered = new Recorder(3);
        AtomicLong measuring = new AtomicLong(Long.MAX_VALUE);
        AtomicLong measuringEnd = new AtomicLong(Long.MAX_VALUE);
        AtomicLong deliveredInWindow = new AtomicLong();
        Properties cp = new Properties();
        cp.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        cp.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        cp.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 100);
        KafkaConsumer<String, Long> consumer = new KafkaConsumer<>(cp, new StringDeserializer(), new LongDeserializer());
        List<org.apache.kafka.common.TopicPartition> tps = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            tps.add(new org.apache.kafka.common.TopicPartition(topic, i));
        }
        consumer.assign(tps);
        consumer.seekToEnd(tps);
        tps.forEach(consumer::position);
        Thread poller = new Thread(() -> {
            try {
                while (!Thread.currentThread().isInterrupted()) {
                    for (ConsumerRecord<String, Long> r : consumer.poll(Duration.ofMillis(100))) {
                        long now = System.nanoTime();
                        if (now >= measuring.get() && now < measuringEnd.get()) {
                            deliveredInWindow.incrementAndGet();
                        }
                        if (r.value() >= measuring.get()) {
                            delivered.recordValue(Math.max(1, (System.nanoTime() - r.value()) / 1000));
                        }
                    }
                }
            } catch (org.apache.kafka.common.errors.WakeupException | org.apache.kafka.common.errors.InterruptException e) {
                // done
            }
        });
        poller.start();
        Properties pp = new Properties();
        pp.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        pp.put(ProducerConfig.ACKS_CONFIG, "all");
        pp.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        pp.put(ProducerConfig.LINGER_MS_CONFIG, 1);
        Semaphore inFlight = new Semaphore(MAX_IN_FLIGHT * PAIRS);
        long sent = 0;
        long sentAtWarmupEnd = -1;
        try (KafkaProducer<String, Long> producer = new KafkaProducer<>(pp, new StringSerializer(), new LongSerializer())) {
            long start = System.nanoTime();
            long warmupEnd = start + TimeUnit.SECONDS.toNanos(WARMUP_SECONDS);
            long end = warmupEnd + TimeUnit.SECONDS.toNanos(SECONDS);
            measuring.set(warmupEnd);
            measuringEnd.set(end);
            String pad = BODY_PAD;
            for (long seq = 0; System.nanoTime() < end; seq++) {
                long t = paced ? start + rampedOffset(seq) : System.nanoTime();
                if (paced) {
                    long wait = t - System.nanoTime();
                    if (wait > 0) {
                        TimeUnit.NANOSECONDS.sleep(wait);
                    }
                } else {
                    inFlight.acquire();
                }
                if (sentAtWarmupEnd < 0 && t >= warmupEnd) {
                    sentAtWarmupEnd = sent;
                }
                long intended = t;
                producer.send(new ProducerRecord<>(topic, "k-" + (seq % PAIRS) + pad.substring(0, 0), t), (md, e) -> {
                    if (e == null && intended >= measuring.get()) {
                        accepted.recordValue(Math.max(1, (System.nanoTime() - intended) / 1000));
                    }
                    inFlight.release();
                });
                sent++;
            }
        }
        Thread.sleep(2000);
        poller.interrupt();
        consumer.wakeup();
        poller.join();
        consumer.close();
        return new Result("plain Kafka " + (paced ? "paced" : "max"), (sent - sentAtWarmupEnd) / (double) SECONDS,
                deliveredInWindow.get() / (double) SECONDS,
                accepted.getIntervalHistogram(), delivered.getIntervalHistogram());
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void awaitReady(int port) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline) {
            try {
                if (http.send(java.net.http.HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/q/health/ready")).build(),
                        java.net.http.HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (java.io.IOException e) {
                // starting
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("standalone not ready");
    }

    private static int freePort() throws java.io.IOException {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static String javaBin() {
        return ProcessHandle.current().info().command().orElse("java");
    }

    private static void deleteTree(Path dir) throws java.io.IOException {
        try (var paths = Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
