package dev.pigeonhole.gateway;

import dev.pigeonhole.protocol.topics.SendEnvelope;
import dev.pigeonhole.protocol.topics.Topics;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * The gateway's only Kafka seam: writes accepted sends to {@link Topics#INBOUND}, keyed by sender user, with an
 * idempotent {@code acks=all} producer. Sends of one user land in one partition in call order (idempotence
 * keeps that order across retries).
 */
@ApplicationScoped
public class InboundWriter {
    private final KafkaProducer<String, SendEnvelope> producer;

    InboundWriter(GatewayConfig config, @ConfigProperty(name = "kafka.bootstrap.servers") String bootstrap) {
        Map<String, Object> props = new HashMap<>(config.producer());
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 5);
        props.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, 1);
        Duration timeout = config.sendTimeout();
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
        props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) Math.min(timeout.toMillis() - 1, 15_000));
        props.putIfAbsent(ProducerConfig.MAX_BLOCK_MS_CONFIG, 5_000);
        props.putIfAbsent(ProducerConfig.CLIENT_ID_CONFIG, "pigeonhole-gateway");
        this.producer = new KafkaProducer<>(props, Topics.INBOUND.keySerde().serializer(),
                Topics.INBOUND.valueSerde().serializer());
    }

    /** Completes when Kafka acknowledged the write (S1), exceptionally when it did not. May block up to max.block.ms. */
    public CompletionStage<Void> write(SendEnvelope send) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        try {
            producer.send(new ProducerRecord<>(Topics.INBOUND.name(), null, send.sentAt(), send.from(), send),
                    (metadata, error) -> {
                        if (error == null) {
                            done.complete(null);
                        } else {
                            done.completeExceptionally(error);
                        }
                    });
        } catch (RuntimeException e) {
            done.completeExceptionally(e);
        }
        return done;
    }

    @PreDestroy
    void close() {
        producer.close(Duration.ofSeconds(10));
    }
}
