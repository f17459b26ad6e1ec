package dev.pigeonhole.router;

import dev.pigeonhole.records.KafkaClientSettings;
import dev.pigeonhole.records.Topics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Copies what the router committed to {@link Topics#ROUTER_OUTBOX} into {@link Topics#INBOX_OPS}, at least once:
 * a batch's offsets are committed only after every copy was acknowledged, and a crash in between copies it again —
 * the inbox drops the second copy by the notice's deterministic id. It reads only committed records, so nothing an
 * aborted or fenced router attempt wrote is ever relayed. Router instances share the work (a consumer group).
 *
 * <p>Why a relay: the router's own writes are transactional, and a transaction open on a partition holds back
 * read_committed readers of everything after it. Writing notices straight into {@code inbox-ops} would make every
 * send wait for the router's next commit; through the outbox, only notices do.
 */
@ApplicationScoped
public class OutboxRelay {
    private static final Logger LOG = Logger.getLogger(OutboxRelay.class);

    private final String bootstrap;
    private final String groupId;
    private final Counter relayed;
    private volatile boolean running = true;
    private KafkaConsumer<String, byte[]> consumer;
    private Thread thread;

    OutboxRelay(@ConfigProperty(name = "kafka.bootstrap.servers") String bootstrap,
                @ConfigProperty(name = "quarkus.kafka-streams.application-id") String applicationId,
                MeterRegistry registry) {
        this.bootstrap = bootstrap;
        this.groupId = applicationId + "-outbox-relay";
        this.relayed = Counter.builder("pigeonhole.router.relayed")
                .description("Notices copied from the router outbox to the inbox operations").register(registry);
    }

    void start(@Observes StartupEvent event) {
        consumer = new KafkaConsumer<>(KafkaClientSettings.with(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.GROUP_ID_CONFIG, groupId,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.CLIENT_ID_CONFIG, groupId)),
                new StringDeserializer(), new ByteArrayDeserializer());
        thread = new Thread(this::run, "outbox-relay");
        thread.setDaemon(true);
        thread.start();
    }

    void stop(@Observes ShutdownEvent event) {
        running = false;
        if (consumer != null) {
            consumer.wakeup();
        }
        try {
            if (thread != null) {
                thread.join(10_000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void run() {
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(KafkaClientSettings.with(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.LINGER_MS_CONFIG, 5,
                ProducerConfig.CLIENT_ID_CONFIG, groupId)), new StringSerializer(), new ByteArraySerializer())) {
            consumer.subscribe(List.of(Topics.ROUTER_OUTBOX.name()));
            while (running) {
                try {
                    relay(consumer.poll(Duration.ofMillis(500)), producer);
                } catch (WakeupException e) {
                    return;
                } catch (RuntimeException e) {
                    // Not committed: after a re-subscription the batch is read and copied again (copies are dropped).
                    LOG.warn("relaying the router outbox failed; retrying from the last committed position", e);
                    resubscribe();
                }
            }
        } finally {
            consumer.close(Duration.ofSeconds(5));
        }
    }

    private void relay(ConsumerRecords<String, byte[]> records, KafkaProducer<String, byte[]> producer) {
        if (records.isEmpty()) {
            return;
        }
        List<Future<?>> sent = new ArrayList<>(records.count());
        Map<TopicPartition, OffsetAndMetadata> next = new HashMap<>();
        for (ConsumerRecord<String, byte[]> r : records) {
            sent.add(producer.send(new ProducerRecord<>(Topics.INBOX_OPS.name(), null, r.timestamp(), r.key(), r.value())));
            next.put(new TopicPartition(r.topic(), r.partition()), new OffsetAndMetadata(r.offset() + 1));
        }
        for (Future<?> f : sent) {
            try {
                f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            } catch (java.util.concurrent.ExecutionException e) {
                throw new IllegalStateException("copy not acknowledged", e.getCause());
            }
        }
        consumer.commitSync(next);
        relayed.increment(sent.size());
    }

    private void resubscribe() {
        try {
            consumer.unsubscribe();
            Thread.sleep(1000);
            consumer.subscribe(List.of(Topics.ROUTER_OUTBOX.name()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
