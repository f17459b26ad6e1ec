package dev.pigeonhole.standalone.bench;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * S1 on plain Kafka, on a stack's broker: the recipients' "inboxes" are the keys of a 4-partition topic; one
 * idempotent {@code acks=all} producer sends for all senders (each sender closed-loop as in {@link S1Plan}); then
 * four {@code read_committed} consumers, one per partition, drain from the beginning.
 */
final class KafkaStoreThenDrain {
    private KafkaStoreThenDrain() {}

    static S1Plan.Rep run(StackProcess stack, int rep) throws Exception {
        S1Plan plan = StoreThenDrainBench.PLAN;
        String topic = "bench-s1-" + System.currentTimeMillis() + "-" + rep;
        String bootstrap = stack.bootstrap();
        PlainKafkaRun.createTopic(bootstrap, topic, 4);
        Ledger ledger = new Ledger(plan.senders, plan.recipients, new int[0][]);
        AtomicLong lastAccepted = new AtomicLong();
        byte[][] keys = IntStream.range(0, plan.recipients).mapToObj(r -> ("r-" + r).getBytes(StandardCharsets.UTF_8))
                .toArray(byte[][]::new);
        Cpu.Snapshot cpu0 = Cpu.Snapshot.take(stack.pid());
        long firstSend;
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(PlainKafkaRun.producerProps(bootstrap),
                new ByteArraySerializer(), new ByteArraySerializer())) {
            firstSend = System.nanoTime();
            plan.sendAll(ledger, (s, n, r, t) -> {
                byte[] value = new byte[StoreThenDrainBench.BODY_BYTES];
                ByteBuffer.wrap(value).putInt(s).putInt(r).putLong(n);
                producer.send(new ProducerRecord<>(topic, keys[r], value), (md, e) -> {
                    if (e == null) {
                        ledger.accepted(s, n);
                        lastAccepted.accumulateAndGet(System.nanoTime(), Math::max);
                    } else {
                        ledger.rejected(Ledger.id(s, n));
                    }
                });
            });
            if (!S1Plan.awaitAnswers(ledger, plan.total, StoreThenDrainBench.TIMEOUT)) {
                throw new IllegalStateException("not every record was acknowledged");
            }
        }
        S1Plan.Drain drain = plan.new Drain();
        long drainStart = System.nanoTime();
        List<Thread> consumers = new ArrayList<>();
        for (int p = 0; p < 4; p++) {
            int partition = p;
            Thread t = new Thread(() -> {
                try (KafkaConsumer<byte[], byte[]> c = PlainKafkaRun.consumer(bootstrap, topic, List.of(partition))) {
                    while (drain.done.getCount() > 0 && !Thread.currentThread().isInterrupted()) {
                        for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(100))) {
                            ByteBuffer v = ByteBuffer.wrap(r.value());
                            drain.received(ledger, v.getInt(4), v.getInt(0), v.getLong(8), System.nanoTime());
                        }
                    }
                } catch (org.apache.kafka.common.errors.InterruptException e) {
                    // timed out
                }
            }, "s1-consumer-" + p);
            t.start();
            consumers.add(t);
        }
        boolean complete = drain.await(StoreThenDrainBench.TIMEOUT);
        Cpu.Snapshot cpu1 = Cpu.Snapshot.take(stack.pid());
        consumers.forEach(Thread::interrupt);
        for (Thread t : consumers) {
            t.join(TimeUnit.SECONDS.toMillis(10));
        }
        if (!complete) {
            throw new IllegalStateException(drain.incomplete() + " Kafka recipients incomplete after the timeout");
        }
        PlainKafkaRun.deleteTopic(bootstrap, topic);
        return new S1Plan.Rep(firstSend, lastAccepted.get(), lastAccepted.get(), drainStart, drain.lastAt.get(),
                cpu1.since(cpu0).serverMicros(), plan.total, ledger.verdict(), "4 consumers; " + cpu1.since(cpu0).summary());
    }
}
