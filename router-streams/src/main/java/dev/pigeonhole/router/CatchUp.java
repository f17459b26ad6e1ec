package dev.pigeonhole.router;

import jakarta.enterprise.context.ApplicationScoped;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.processor.StateRestoreListener;

/**
 * Whether this instance has caught up: its Kafka Streams client reached {@code RUNNING} while no store of an active
 * task was being restored. Quarkus hands this bean to the client as its state listener and global restore listener.
 * Ready ({@link CatchUpReadiness}) from then on, through later rebalances (and the restorations they bring), until the
 * client fails or stops: a rebalance of the whole group must not take every router out of the Service delivery
 * reads through (any router forwards a read to the owner), while a restarted instance is not ready — and a
 * StatefulSet rollout waits — until its stores are restored.
 */
@ApplicationScoped
public class CatchUp implements StateRestoreListener, KafkaStreams.StateListener {
    private final Set<String> restoring = ConcurrentHashMap.newKeySet();
    private volatile KafkaStreams.State state = KafkaStreams.State.CREATED;
    private volatile boolean caughtUp;

    @Override
    public void onChange(KafkaStreams.State newState, KafkaStreams.State oldState) {
        state = newState;
        check();
    }

    @Override
    public void onRestoreStart(TopicPartition partition, String store, long startOffset, long endOffset) {
        restoring.add(key(partition, store));
    }

    @Override
    public void onBatchRestored(TopicPartition partition, String store, long batchEndOffset, long restored) {
    }

    @Override
    public void onRestoreEnd(TopicPartition partition, String store, long restored) {
        restoring.remove(key(partition, store));
        check();
    }

    /** The task was closed or moved before its restoration ended: nothing restores it here any more. */
    @Override
    public void onRestoreSuspended(TopicPartition partition, String store, long restored) {
        restoring.remove(key(partition, store));
        check();
    }

    private synchronized void check() {
        if (state == KafkaStreams.State.RUNNING && restoring.isEmpty()) {
            caughtUp = true;
        }
    }

    /** Caught up once, and running or rebalancing now (not failed, not stopping). */
    boolean ready() {
        return caughtUp && state.isRunningOrRebalancing();
    }

    boolean caughtUp() {
        return caughtUp;
    }

    KafkaStreams.State state() {
        return state;
    }

    /** Stores (changelog partitions) of active tasks being restored now. */
    int restoring() {
        return restoring.size();
    }

    private static String key(TopicPartition partition, String store) {
        return store + "@" + partition;
    }
}
