package dev.pigeonhole.router;

import static org.apache.kafka.streams.KafkaStreams.State.CREATED;
import static org.apache.kafka.streams.KafkaStreams.State.ERROR;
import static org.apache.kafka.streams.KafkaStreams.State.NOT_RUNNING;
import static org.apache.kafka.streams.KafkaStreams.State.PENDING_ERROR;
import static org.apache.kafka.streams.KafkaStreams.State.PENDING_SHUTDOWN;
import static org.apache.kafka.streams.KafkaStreams.State.REBALANCING;
import static org.apache.kafka.streams.KafkaStreams.State.RUNNING;
import static org.assertj.core.api.Assertions.assertThat;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;

class CatchUpTest {
    private static final TopicPartition P0 = new TopicPartition("inbox-changelog", 0);
    private static final TopicPartition P1 = new TopicPartition("inbox-changelog", 1);

    private final CatchUp catchUp = new CatchUp();

    private void to(KafkaStreams.State state) {
        catchUp.onChange(state, catchUp.state());
    }

    @Test
    void notReadyUntilRunningWithNothingRestoring() {
        assertThat(catchUp.ready()).as("created").isFalse();
        to(REBALANCING);
        catchUp.onRestoreStart(P0, "inbox", 0, 100);
        catchUp.onRestoreStart(P1, "inbox", 0, 100);
        catchUp.onRestoreStart(P0, "inbox-meta", 0, 100);
        assertThat(catchUp.ready()).isFalse();
        to(RUNNING); // the client may run while the state updater still restores
        assertThat(catchUp.restoring()).isEqualTo(3);
        assertThat(catchUp.ready()).as("running, 3 stores restoring").isFalse();
        catchUp.onBatchRestored(P0, "inbox", 50, 50);
        catchUp.onRestoreEnd(P0, "inbox", 100);
        catchUp.onRestoreSuspended(P1, "inbox", 10); // moved to another instance
        assertThat(catchUp.ready()).as("one store restoring").isFalse();
        catchUp.onRestoreEnd(P0, "inbox-meta", 100);
        assertThat(catchUp.restoring()).isZero();
        assertThat(catchUp.ready()).isTrue();
        assertThat(catchUp.caughtUp()).isTrue();
    }

    @Test
    void restoringWhileRebalancingAtStartIsNotCaughtUp() {
        to(REBALANCING);
        catchUp.onRestoreStart(P0, "inbox", 0, 100);
        catchUp.onRestoreEnd(P0, "inbox", 100);
        assertThat(catchUp.ready()).as("restored, but never running yet").isFalse();
        to(RUNNING);
        assertThat(catchUp.ready()).isTrue();
    }

    @Test
    void onceCaughtUpStaysReadyThroughRebalancesAndTheirRestorations() {
        to(REBALANCING);
        to(RUNNING);
        assertThat(catchUp.ready()).isTrue();
        to(REBALANCING);
        catchUp.onRestoreStart(P1, "inbox", 0, 1000);
        assertThat(catchUp.ready()).as("a fleet-wide rebalance keeps the instance in the Service").isTrue();
        to(RUNNING);
        assertThat(catchUp.ready()).isTrue();
    }

    @Test
    void downWhenTheClientFailsOrStops() {
        for (KafkaStreams.State end : new KafkaStreams.State[] {PENDING_ERROR, ERROR, PENDING_SHUTDOWN, NOT_RUNNING}) {
            CatchUp c = new CatchUp();
            c.onChange(REBALANCING, CREATED);
            c.onChange(RUNNING, REBALANCING);
            assertThat(c.ready()).isTrue();
            c.onChange(end, RUNNING);
            assertThat(c.ready()).as(end.name()).isFalse();
        }
    }
}
