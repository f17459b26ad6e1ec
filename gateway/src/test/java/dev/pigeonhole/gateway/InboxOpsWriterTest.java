package dev.pigeonhole.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/** A record Kafka fails must not be overtaken by the connection's later sends. */
class InboxOpsWriterTest {
    private final List<MockProducer<String, byte[]>> producers = new ArrayList<>();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final InboxOpsWriter writer = new InboxOpsWriter(() -> {
        MockProducer<String, byte[]> p = new MockProducer<>(false, null, new StringSerializer(), new ByteArraySerializer());
        producers.add(p);
        return p;
    }, Duration.ofSeconds(30), registry);

    @Test
    void aFailedRecordDiscardsTheProducerAndTheConnectionsLaterSendsAreRefused() {
        InboxOpsWriter.Lane alice = new InboxOpsWriter.Lane();
        CompletableFuture<Void> m1 = write(alice, "m1");
        CompletableFuture<Void> m2 = write(alice, "m2");
        MockProducer<String, byte[]> first = producers.get(0);
        assertThat(first.history()).hasSize(2);

        first.errorNext(new RecordTooLargeException("refused by the broker"));

        assertThat(m1).isCompletedExceptionally();
        assertThat(first.closed()).as("closed at once: nothing queued behind m1 may be stored").isTrue();
        assertThat(registry.get("pigeonhole.gateway.producer.discarded").counter().count()).isEqualTo(1);
        CompletableFuture<Void> m3 = write(alice, "m3");
        assertThat(m3).as("the connection's next send would go to another producer: refused").isCompletedExceptionally();
        assertThat(failure(m3)).isInstanceOf(InboxOpsWriter.ProducerDiscardedException.class);
        assertThat(writer.stale(alice)).as("the socket closes such a connection (1013)").isTrue();
        assertThat(first.history()).hasSize(2);

        InboxOpsWriter.Lane again = new InboxOpsWriter.Lane(); // the client reconnects and resends, in order
        CompletableFuture<Void> resent = write(again, "m1");
        assertThat(producers).hasSize(2);
        MockProducer<String, byte[]> second = producers.get(1);
        assertThat(second.completeNext()).isTrue();
        assertThat(resent).isCompleted().isNotCompletedExceptionally();
        assertThat(writer.stale(again)).isFalse();
        assertThat(m2).isNotDone(); // queued in the discarded producer: the real one fails it as it closes
    }

    @Test
    void aLaneStaysOnItsProducerWhileItWorks() {
        InboxOpsWriter.Lane lane = new InboxOpsWriter.Lane();
        for (int i = 0; i < 3; i++) {
            CompletableFuture<Void> w = write(lane, "m" + i);
            assertThat(producers.get(0).completeNext()).isTrue();
            assertThat(w).isCompleted().isNotCompletedExceptionally();
        }
        assertThat(producers).hasSize(1);
        CompletableFuture<Void> http = writer.write(List.of(new InboxOpsWriter.Copy("bob", new byte[] {1})), 1, null)
                .toCompletableFuture();
        assertThat(producers.get(0).completeNext()).isTrue();
        assertThat(http).isCompleted().isNotCompletedExceptionally();
    }

    private CompletableFuture<Void> write(InboxOpsWriter.Lane lane, String id) {
        return writer.write(List.of(new InboxOpsWriter.Copy("bob", id.getBytes())), 1, lane).toCompletableFuture();
    }

    private static Throwable failure(CompletableFuture<Void> f) {
        try {
            f.join();
            return null;
        } catch (CompletionException e) {
            return e.getCause();
        }
    }
}
