package dev.pigeonhole.gateway;

import dev.pigeonhole.records.KafkaClientSettings;
import dev.pigeonhole.records.Topics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * The gateway's only Kafka seam: writes the copies of an accepted send to {@link Topics#INBOX_OPS}, each keyed by the
 * inbox's user, with an idempotent {@code acks=all} producer. Copies for one inbox land in its partition in call
 * order (idempotence keeps that order across retries).
 *
 * <p>The producer never gives a record up by time ({@code delivery.timeout.ms} is unbounded): the send is answered
 * {@code unavailable} after {@code send-timeout} by this class's own timer while the record stays queued in order. If
 * the producer expired records instead, the ones queued behind an expired one would still be stored, ahead of the
 * client's resend of it: a later message of the connection would overtake an earlier one.
 *
 * <p>The same holds for a record the producer fails for any other reason (a non-retriable broker error): Kafka's
 * idempotent producer then bumps its epoch and goes on with the records queued behind it. So a failure discards the
 * producer: it is closed at once (everything queued in it fails and is answered {@code unavailable}) and the next
 * write starts a new one. A connection's writes all go to one producer ({@link Lane}): once that one is discarded,
 * the connection's later writes are refused too ({@link #stale}: the socket closes it with 1013), and the client
 * resends from its oldest unanswered message on a new connection, in order.
 */
@io.quarkus.runtime.Startup // a producer that cannot be built fails the start, not the first send
@ApplicationScoped
public class InboxOpsWriter {
    private static final Logger LOG = Logger.getLogger(InboxOpsWriter.class);

    /** One record: an encoded inbox operation for {@code user}'s inbox. */
    public record Copy(String user, byte[] op) {}

    /** The producer a connection writes through; the first write binds it. */
    public static final class Lane {
        private Producer<String, byte[]> bound;
    }

    /** Refused: the producer this connection's earlier writes went to was discarded. */
    static final class ProducerDiscardedException extends RuntimeException {
        ProducerDiscardedException() {
            super("the producer of this connection's earlier sends failed; reconnect and send again", null, false, false);
        }
    }

    private final Supplier<Producer<String, byte[]>> factory;
    private final Duration timeout;
    private final Counter discarded;
    /** Null between a discard and the next write; read without the lock on every write. */
    private volatile Producer<String, byte[]> current;
    private volatile boolean closed;

    @jakarta.inject.Inject
    InboxOpsWriter(GatewayConfig config, @ConfigProperty(name = "kafka.bootstrap.servers") String bootstrap,
                   MeterRegistry registry) {
        this(producerFactory(config, bootstrap), config.sendTimeout(), registry);
    }

    InboxOpsWriter(Supplier<Producer<String, byte[]>> factory, Duration timeout, MeterRegistry registry) {
        this.factory = factory;
        this.timeout = timeout;
        this.discarded = Counter.builder("pigeonhole.gateway.producer.discarded")
                .description("Producers discarded after Kafka failed a record (their queued records were refused)")
                .register(registry);
        this.current = factory.get();
    }

    private static Supplier<Producer<String, byte[]>> producerFactory(GatewayConfig config, String bootstrap) {
        Map<String, Object> props = KafkaClientSettings.with(config.producer());
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 5);
        props.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, 5); // fewer, fuller requests: the broker pays per request
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, Integer.MAX_VALUE);
        props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) Math.min(config.sendTimeout().toMillis(), 15_000));
        props.putIfAbsent(ProducerConfig.MAX_BLOCK_MS_CONFIG, 5_000);
        props.putIfAbsent(ProducerConfig.CLIENT_ID_CONFIG, "pigeonhole-gateway");
        return () -> new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer());
    }

    /**
     * Completes when Kafka acknowledged every copy (S1); exceptionally when one was refused, or not acknowledged
     * within {@code send-timeout} (the copies may still be stored later, in order: the client sends again and the
     * inboxes drop what they have). May block up to max.block.ms.
     *
     * @param lane the connection's lane, or null for a write no later one depends on (one HTTP request)
     */
    public CompletionStage<Void> write(List<Copy> copies, long timestamp, Lane lane) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        Producer<String, byte[]> producer;
        try {
            producer = producerFor(lane);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        AtomicInteger pending = new AtomicInteger(copies.size());
        try {
            for (Copy c : copies) {
                producer.send(new ProducerRecord<>(Topics.INBOX_OPS.name(), null, timestamp, c.user(), c.op()),
                        (metadata, error) -> {
                            if (error != null) {
                                done.completeExceptionally(error); // first: the connection holds its later sends
                                discard(producer, error);
                            } else if (pending.decrementAndGet() == 0) {
                                done.complete(null);
                            }
                        });
            }
        } catch (RuntimeException e) {
            // Not queued (the producer was just discarded): later sends of the connection are held back by the
            // refusal, so none is queued behind a gap. (Kafka reports its own refusals of a send, such as
            // max.block.ms passing, through the callback, on this thread.)
            done.completeExceptionally(e);
        }
        return done.orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    private Producer<String, byte[]> producerFor(Lane lane) {
        Producer<String, byte[]> producer = current;
        if (producer == null || closed) {
            producer = start();
        }
        if (lane == null) {
            return producer;
        }
        synchronized (lane) {
            if (lane.bound == null) {
                lane.bound = producer;
            } else if (lane.bound != producer) {
                throw new ProducerDiscardedException();
            }
            return producer;
        }
    }

    private synchronized Producer<String, byte[]> start() {
        if (closed) {
            throw new IllegalStateException("the gateway is shutting down");
        }
        if (current == null) {
            current = factory.get();
        }
        return current;
    }

    /** True once the producer the lane's writes went to was discarded: the connection must start over. */
    public boolean stale(Lane lane) {
        synchronized (lane) {
            return lane.bound != null && lane.bound != current;
        }
    }

    /** Kafka failed a record of {@code failed}: nothing queued behind it may be stored before its resend. */
    private void discard(Producer<String, byte[]> failed, Exception error) {
        synchronized (this) {
            if (current != failed) {
                return; // already discarded (its other records fail as it closes)
            }
            current = null;
        }
        discarded.increment();
        LOG.warnf("Kafka failed a record (%s): discarding the producer; what was queued in it is answered unavailable",
                error.toString());
        failed.close(Duration.ZERO); // from the producer's own thread Kafka closes at once, aborting what is queued
    }

    @PreDestroy
    void close() {
        Producer<String, byte[]> last;
        synchronized (this) {
            closed = true;
            last = current;
            current = null;
        }
        if (last != null) {
            last.close(Duration.ofSeconds(10)); // not under the lock: failing records' callbacks take it
        }
    }
}
