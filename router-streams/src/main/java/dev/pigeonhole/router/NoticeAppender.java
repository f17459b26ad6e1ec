package dev.pigeonhole.router;

import dev.pigeonhole.protocol.topics.InboxEntry;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/** Runs on the partition of the user a notice is for (receipts, undelivered notices): appends it to their inbox. */
final class NoticeAppender implements Processor<String, InboxEntry, String, Emit> {
    private final Retention retention;
    private ProcessorContext<String, Emit> context;
    private Inboxes inboxes;

    NoticeAppender(Retention retention) {
        this.retention = retention;
    }

    @Override
    public void init(ProcessorContext<String, Emit> context) {
        this.context = context;
        this.inboxes = new Inboxes(context, retention);
    }

    @Override
    public void process(Record<String, InboxEntry> record) {
        InboxEntry n = record.value();
        if (record.key() == null || n == null) {
            return;
        }
        inboxes.append(record.key(), n::withSeq, record, context);
    }
}
