package dev.pigeonhole.router;

import dev.pigeonhole.protocol.topics.GroupRecord;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

/** Keeps the global {@code groups} store equal to the compacted groups topic (tombstones delete). */
final class GroupStoreUpdater implements Processor<String, GroupRecord, Void, Void> {
    private KeyValueStore<String, GroupRecord> groups;

    @Override
    public void init(ProcessorContext<Void, Void> context) {
        this.groups = context.getStateStore(RouterTopology.GROUPS_STORE);
    }

    @Override
    public void process(Record<String, GroupRecord> record) {
        if (record.key() == null) {
            return;
        }
        if (record.value() == null) {
            groups.delete(record.key());
        } else {
            groups.put(record.key(), record.value());
        }
    }
}
