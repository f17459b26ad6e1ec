package dev.pigeonhole.delivery;

import dev.pigeonhole.protocol.Identity;
import dev.pigeonhole.protocol.ServerFrame;
import dev.pigeonhole.records.InboxOp;
import dev.pigeonhole.records.KafkaClientSettings;
import dev.pigeonhole.records.Push;
import dev.pigeonhole.records.RecordFormatException;
import dev.pigeonhole.records.Topics;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.jboss.logging.Logger;

/**
 * Delivery's only Kafka seam. Writes connects, disconnects and acks as inbox operations (keyed by user, so they
 * reach the router task that owns the inbox, in order with everything else that happens to it), renews this
 * instance's lease on every partition (one record each keeps all its sessions alive), and reads
 * live entries from the one push partition this instance's id hashes to, starting at its end: no instance reads all
 * traffic. Pushes are read without waiting for the router's commits (read_uncommitted): a push only says what the
 * inbox store holds, and a replay of the router re-makes the same entries under the same seqs.
 *
 * <p>If reading the push partition fails, open streams could silently stop getting live entries; instead
 * {@code onInterrupted} runs (delivery closes the streams so clients resume from the store) and the partition is
 * assigned again from its end.
 */
final class DeliveryKafka implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(DeliveryKafka.class);

    private final String instanceId;
    /** This run's start, in the clock that stamps its connects: sessions announced before it belong to an earlier run. */
    private final long startedAt = System.currentTimeMillis();
    private final KafkaProducer<String, byte[]> producer;
    private final KafkaConsumer<String, byte[]> consumer;
    private final DeliveryMetrics metrics;
    private final Thread pollThread;
    private volatile boolean running = true;
    private volatile boolean ready;
    private final DeviceStream.Scheduler retries;

    DeliveryKafka(String bootstrap, String instanceId, DeliveryMetrics metrics, Consumer<Push> onPush,
                  Runnable onInterrupted, DeviceStream.Scheduler retries) {
        this.retries = retries;
        this.instanceId = instanceId;
        this.metrics = metrics;
        this.producer = new KafkaProducer<>(KafkaClientSettings.with(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.LINGER_MS_CONFIG, 5,
                // announcements run under the registry's per-user lock: never block long
                ProducerConfig.MAX_BLOCK_MS_CONFIG, 2_000,
                ProducerConfig.CLIENT_ID_CONFIG, "pigeonhole-delivery-" + instanceId)),
                new StringSerializer(), new ByteArraySerializer());
        this.consumer = new KafkaConsumer<>(KafkaClientSettings.with(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_uncommitted",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                // fuller fetches (the broker pays per request), at most 5 ms later than the first push
                ConsumerConfig.FETCH_MIN_BYTES_CONFIG, 64 * 1024,
                ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 5,
                ConsumerConfig.CLIENT_ID_CONFIG, "pigeonhole-delivery-push-" + instanceId)),
                new StringDeserializer(), new ByteArrayDeserializer());
        this.pollThread = new Thread(() -> poll(onPush, onInterrupted), "push-consumer");
        this.pollThread.setDaemon(true);
        this.pollThread.start();
    }

    /** True once this instance reads its push partition; connections opened before would miss live entries. */
    boolean ready() {
        return ready;
    }

    /** The socket opened: written until Kafka has it (the stream waits for the router to confirm it). */
    void connect(DeviceStream stream) {
        Identity id = stream.identity();
        send(id.user(), new InboxOp.Connect(id.device(), instanceId, stream.connection(), stream.requestedAfter()),
                error -> {
                    if (stream.isOpen() && running) {
                        LOG.warnf("could not announce %s/%s (%s); retrying", id.user(), id.device(), error.toString());
                        retries.schedule(() -> {
                            if (stream.isOpen()) {
                                connect(stream);
                            }
                        }, java.time.Duration.ofSeconds(1));
                    }
                });
    }

    /**
     * One {@code Lease} per inbox-ops partition: the router keeps every session this instance announced since it
     * started while the leases come, and ends them once they stop or a later start is announced.
     */
    void renewLease() {
        if (!running) {
            return;
        }
        try {
            byte[] lease = encode(new InboxOp.Lease(instanceId, startedAt));
            for (PartitionInfo p : producer.partitionsFor(Topics.INBOX_OPS.name())) {
                producer.send(new ProducerRecord<>(Topics.INBOX_OPS.name(), p.partition(), null, lease), (md, error) -> {
                    if (error != null) {
                        warn(error);
                    }
                });
            }
        } catch (RuntimeException e) {
            warn(e); // the next renewal retries; a session ends only after the router's expiry (30 min)
        }
    }

    void disconnect(DeviceStream stream) {
        Identity id = stream.identity();
        send(id.user(), new InboxOp.Disconnect(id.device(), stream.connection()), this::warn);
    }

    /** The user removed a device: the router drops its cursor and closes its socket wherever it is. */
    java.util.concurrent.Future<?> removeDevice(Identity device) {
        return producer.send(new ProducerRecord<>(Topics.INBOX_OPS.name(), device.user(),
                encode(new InboxOp.Remove(device.device()))));
    }

    /** A shadow request; {@code onError} when Kafka refuses the write. */
    void shadow(String user, InboxOp op, Consumer<Exception> onError) {
        if (!running) {
            throw new IllegalStateException("shutting down");
        }
        send(user, op, onError);
    }

    void ack(Identity identity, long seq, boolean read, ServerFrame.Range skipped) {
        send(identity.user(), new InboxOp.Ack(identity.device(), seq, read,
                skipped == null ? 0 : skipped.from(), skipped == null ? 0 : skipped.to()), this::warn);
    }

    private void send(String user, InboxOp op, Consumer<Exception> onError) {
        if (!running) {
            return; // shutting down: the router expires what is not withdrawn
        }
        try {
            producer.send(new ProducerRecord<>(Topics.INBOX_OPS.name(), user, encode(op)), (md, error) -> {
                if (error != null) {
                    onError.accept(error);
                }
            });
        } catch (RuntimeException e) {
            onError.accept(e);
        }
    }

    private static byte[] encode(InboxOp op) {
        return Topics.INBOX_OPS.valueSerde().serializer().serialize(Topics.INBOX_OPS.name(), op);
    }

    private void warn(Exception error) {
        LOG.warnf("could not write to %s: %s", Topics.INBOX_OPS.name(), error.toString());
    }

    private void poll(Consumer<Push> onPush, Runnable onInterrupted) {
        try {
            while (running) {
                try {
                    assignOwnPartition();
                    while (running) {
                        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                            handle(r, onPush);
                        }
                    }
                } catch (WakeupException e) {
                    return; // closing
                } catch (RuntimeException e) {
                    LOG.error("reading the push partition failed; closing live streams and re-reading from its end", e);
                    ready = false;
                    onInterrupted.run();
                    sleep();
                }
            }
        } finally {
            consumer.close(Duration.ofSeconds(2));
        }
    }

    private void handle(ConsumerRecord<String, byte[]> r, Consumer<Push> onPush) {
        boolean mine = instanceId.equals(r.key());
        metrics.push(mine);
        if (!mine || r.value() == null) {
            return;
        }
        Push push;
        try {
            push = Push.decode(r.value());
        } catch (RecordFormatException e) {
            LOG.errorf("skipping unreadable push record at %s-%d@%d: %s", r.topic(), r.partition(), r.offset(), e);
            return;
        }
        try {
            onPush.accept(push);
        } catch (RuntimeException e) {
            LOG.error("push handler failed", e);
        }
    }

    private void assignOwnPartition() {
        while (running) {
            List<PartitionInfo> partitions;
            try {
                partitions = consumer.partitionsFor(Topics.PUSH.name(), Duration.ofSeconds(5));
            } catch (org.apache.kafka.common.errors.TimeoutException e) {
                partitions = List.of();
            }
            if (!partitions.isEmpty()) {
                TopicPartition own = new TopicPartition(Topics.PUSH.name(),
                        Topics.pushPartition(instanceId, partitions.size()));
                consumer.assign(List.of(own));
                consumer.seekToEnd(List.of(own));
                consumer.position(own); // resolve "end" now, before any session is announced
                ready = true;
                LOG.infof("delivery instance %s reads %s", instanceId, own);
                renewLease(); // announces this run at once: the router ends the sessions of an earlier one
                return;
            }
            LOG.infof("waiting for topic %s", Topics.PUSH.name());
            sleep();
        }
    }

    private static void sleep() {
        try {
            Thread.sleep(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        try {
            pollThread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        producer.close(Duration.ofSeconds(5));
    }
}
