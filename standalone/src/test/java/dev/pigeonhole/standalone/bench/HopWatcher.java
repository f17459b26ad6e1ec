package dev.pigeonhole.standalone.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pigeonhole.protocol.Json;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Watches one topic of the pipeline with a read_committed consumer and records when each benchmark message
 * becomes visible there, measured from its intended send time: the latency breakdown per hop.
 */
final class HopWatcher implements AutoCloseable {
    private final String topic;
    private final String idPath;
    private final Recorder recorder = new Recorder(3);
    private final Thread thread;
    private volatile boolean running = true;

    /**
     * @param idPath  JSON pointer of the message id in the record value
     * @param ownPath JSON pointer of the {@code own} flag: self-sync copies are skipped so only the recipient's
     *                copy counts (null where the topic has no copies)
     */
    HopWatcher(String bootstrap, String topic, String idPath, String ownPath, Map<String, Long> intended,
               AtomicLong measuring) {
        this.topic = topic;
        this.idPath = idPath;
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 50);
        KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        List<TopicPartition> tps = new ArrayList<>();
        for (PartitionInfo info : consumer.partitionsFor(topic)) {
            tps.add(new TopicPartition(topic, info.partition()));
        }
        consumer.assign(tps);
        consumer.seekToEnd(tps);
        tps.forEach(consumer::position);
        thread = new Thread(() -> {
            try (consumer) {
                while (running) {
                    for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(50))) {
                        long now = System.nanoTime();
                        if (r.value() == null) {
                            continue;
                        }
                        JsonNode v = Json.read(r.value(), JsonNode.class);
                        JsonNode id = v.at(idPath);
                        if (id.isMissingNode() || (ownPath != null && v.at(ownPath).asBoolean(false))) {
                            continue;
                        }
                        Long t = intended.get(id.asText());
                        if (t != null && t >= measuring.get()) {
                            recorder.recordValue(Math.max(1, (now - t) / 1000));
                        }
                    }
                }
            }
        }, "hop-" + topic);
        thread.start();
    }

    String row() {
        Histogram h = recorder.getIntervalHistogram();
        return String.format("| visible in %s | %d | %.1f | %.1f | %.1f |", topic, h.getTotalCount(),
                h.getValueAtPercentile(50) / 1000.0, h.getValueAtPercentile(99) / 1000.0, h.getMaxValue() / 1000.0);
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        thread.join();
    }
}
