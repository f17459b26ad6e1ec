package dev.pigeonhole.router;

import dev.pigeonhole.protocol.topics.AckRecord;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

/** Applies cumulative device acks (S5): a device's cursor only moves forward and never past the head. */
final class AckApplier implements Processor<String, AckRecord, Void, Void> {
    private KeyValueStore<String, InboxMeta> meta;

    @Override
    public void init(ProcessorContext<Void, Void> context) {
        this.meta = context.getStateStore(RouterTopology.META_STORE);
    }

    @Override
    public void process(Record<String, AckRecord> record) {
        AckRecord ack = record.value();
        if (record.key() == null || ack == null || ack.device() == null) {
            return;
        }
        InboxMeta current = meta.get(record.key());
        if (current == null) {
            return;
        }
        InboxMeta next = current.ack(ack.device(), ack.seq());
        if (next != current) {
            meta.put(record.key(), next);
        }
    }
}
