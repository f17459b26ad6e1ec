package dev.pigeonhole.gateway;

import dev.pigeonhole.records.Topics;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * The gateway's only Kafka seam: writes the copies of an accepted send to {@link Topics#INBOX_OPS}, each keyed by the
 * inbox's user, with an idempotent {@code acks=all} producer. Copies for one inbox land in its partition in call
 * order (idempotence keeps that order across retries).
 *
 * <p>The producer never gives a record up ({@code delivery.timeout.ms} is unbounded): the send is answered
 * {@code unavailable} after {@code send-timeout} by this class's own timer while the record stays queued in order. If
 * the producer expired records instead, the ones queued behind an expired one would still be stored, ahead of the
 * client's resend of it: a later message of the connection would overtake an earlier one.
 */
@io.quarkus.runtime.Startup // a producer that cannot be built fails the start, not the first send
@ApplicationScoped
public class InboxOpsWriter {
    /** One record: an encoded inbox operation for {@code user}'s inbox. */
    public record Copy(String user, byte[] op) {}

    private final KafkaProducer<String, byte[]> producer;
    private final Duration timeout;

    InboxOpsWriter(GatewayConfig config, @ConfigProperty(name = "kafka.bootstrap.servers") String bootstrap) {
        Map<String, Object> props = new HashMap<>(config.producer());
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 5);
        props.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, 5); // fewer, fuller requests: the broker pays per request
        this.timeout = config.sendTimeout();
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, Integer.MAX_VALUE);
        props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) Math.min(timeout.toMillis(), 15_000));
        props.putIfAbsent(ProducerConfig.MAX_BLOCK_MS_CONFIG, 5_000);
        props.putIfAbsent(ProducerConfig.CLIENT_ID_CONFIG, "pigeonhole-gateway");
        this.producer = new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer());
    }

    /**
     * Completes when Kafka acknowledged every copy (S1); exceptionally when one was refused, or not acknowledged
     * within {@code send-timeout} (the copies may still be stored later, in order: the client sends again and the
     * inboxes drop what they have). May block up to max.block.ms.
     */
    public CompletionStage<Void> write(List<Copy> copies, long timestamp) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        AtomicInteger pending = new AtomicInteger(copies.size());
        try {
            for (Copy c : copies) {
                producer.send(new ProducerRecord<>(Topics.INBOX_OPS.name(), null, timestamp, c.user(), c.op()),
                        (metadata, error) -> {
                            if (error != null) {
                                done.completeExceptionally(error);
                            } else if (pending.decrementAndGet() == 0) {
                                done.complete(null);
                            }
                        });
            }
        } catch (RuntimeException e) {
            done.completeExceptionally(e);
        }
        return done.orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    @PreDestroy
    void close() {
        producer.close(Duration.ofSeconds(10));
    }
}
