package dev.pigeonhole.standalone.bench;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.IntStream;
import org.HdrHistogram.Recorder;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The end-to-end ceiling: an idempotent {@code acks=all} producer → a {@code read_committed} consumer on a stack's
 * embedded broker (4 partitions, key = recipient), same pacing, senders, body size and counters as the Pigeonhole
 * runs, 1:1 messages only. Value: t, sender, recipient, n, then padding to the Pigeonhole body's size.
 */
final class PlainKafkaRun {
    private PlainKafkaRun() {}

    static Properties producerProps(String bootstrap) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.LINGER_MS_CONFIG, 1);
        return p;
    }

    static KafkaConsumer<byte[], byte[]> consumer(String bootstrap, String topic, List<Integer> partitions) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 100);
        KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        List<TopicPartition> tps = partitions.stream().map(i -> new TopicPartition(topic, i)).toList();
        c.assign(tps);
        c.seekToBeginning(tps);
        return c;
    }

    static void createTopic(String bootstrap, String topic, int partitions) throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all().get(30, TimeUnit.SECONDS);
        }
    }

    static void deleteTopic(String bootstrap, String topic) {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            admin.deleteTopics(List.of(topic)).all().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            System.out.println("warning: could not delete topic " + topic + ": " + e);
        }
    }

    static RunResult run(StackProcess stack, int rate) throws Exception {
        int users = EndToEndBench.USERS;
        String topic = "bench-e2e-" + System.currentTimeMillis() + "-" + (rate > 0 ? rate : "max");
        String bootstrap = stack.bootstrap();
        createTopic(bootstrap, topic, 4);
        int size = EndToEndBench.body(System.nanoTime()).length();
        Ledger ledger = new Ledger(users, users, new int[0][]);
        LoadLoop loop = new LoadLoop(rate, EndToEndBench.WARMUP, EndToEndBench.SECONDS);
        Recorder accepted = new Recorder(3);
        Recorder delivered = new Recorder(3);
        LongAdder acceptedInWindow = new LongAdder();
        LongAdder deliveredInWindow = new LongAdder();
        KafkaConsumer<byte[], byte[]> consumer = consumer(bootstrap, topic, List.of(0, 1, 2, 3));
        Thread poller = new Thread(() -> {
            try {
                while (!Thread.currentThread().isInterrupted()) {
                    for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                        long now = System.nanoTime();
                        ByteBuffer v = ByteBuffer.wrap(r.value());
                        long t = v.getLong(0);
                        if (ledger.received(v.getInt(12), v.getInt(8), v.getLong(16))) {
                            if (loop.inWindow(now)) {
                                deliveredInWindow.increment();
                            }
                            if (loop.inWindow(t)) {
                                delivered.recordValue(Math.max(1, (now - t) / 1000));
                            }
                        }
                    }
                }
            } catch (org.apache.kafka.common.errors.InterruptException e) {
                // done
            }
        }, "plain-kafka-consumer");
        consumer.poll(Duration.ofMillis(100)); // join the partitions before the clock starts
        poller.start();
        ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor();
        AtomicReference<Cpu.Snapshot> cpuStart = new AtomicReference<>();
        AtomicReference<Cpu.Snapshot> cpuEnd = new AtomicReference<>();
        LongAdder failed = new LongAdder();
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerProps(bootstrap), new ByteArraySerializer(),
                new ByteArraySerializer())) {
            byte[][] keys = IntStream.range(0, users).mapToObj(i -> ("u-" + i).getBytes(StandardCharsets.UTF_8))
                    .toArray(byte[][]::new);
            loop.begin();
            timers.schedule(() -> cpuStart.set(Cpu.Snapshot.take(stack.pid())), loop.warmupEnd - System.nanoTime(), TimeUnit.NANOSECONDS);
            timers.schedule(() -> cpuEnd.set(Cpu.Snapshot.take(stack.pid())), loop.end - System.nanoTime(), TimeUnit.NANOSECONDS);
            loop.run(ledger, users, EndToEndBench.IN_FLIGHT, s -> (s + 1) % users, (s, n, target, t) -> {
                byte[] value = new byte[size];
                ByteBuffer.wrap(value).putLong(t).putInt(s).putInt(target).putLong(n);
                producer.send(new ProducerRecord<>(topic, keys[target], value), (md, e) -> {
                    long now = System.nanoTime();
                    if (e != null) {
                        failed.increment();
                        ledger.rejected(Ledger.id(s, n));
                        return;
                    }
                    ledger.accepted(s, n);
                    if (loop.inWindow(now)) {
                        acceptedInWindow.increment();
                    }
                    if (loop.inWindow(t)) {
                        accepted.recordValue(Math.max(1, (now - t) / 1000));
                    }
                });
            });
            long tailStart = System.nanoTime();
            while (!ledger.complete() && System.nanoTime() - tailStart < EndToEndBench.TAIL_NANOS) {
                Thread.sleep(20);
            }
            while (cpuEnd.get() == null) {
                Thread.sleep(10);
            }
        }
        Ledger.Verdict verdict = ledger.verdict();
        poller.interrupt();
        poller.join();
        consumer.close();
        timers.shutdownNow();
        deleteTopic(bootstrap, topic);
        return new RunResult(stack.name + " (its broker)", "plain Kafka " + (rate > 0 ? "paced" : "max"), rate,
                acceptedInWindow.sum(), deliveredInWindow.sum(), EndToEndBench.SECONDS, accepted.getIntervalHistogram(),
                delivered.getIntervalHistogram(), cpuEnd.get().since(cpuStart.get()), verdict,
                String.format("sent %d, %d producer errors; 1:1 only, one producer, one consumer (in the load generator)",
                        ledger.sent.get(), failed.sum()));
    }
}
