package dev.pigeonhole.router;

import dev.pigeonhole.protocol.topics.InboxEntry;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * Runs on the recipient's partition. Appends each routed send to the recipient's inbox, and walks the task's
 * inboxes for retention every {@code retention.check-interval}.
 */
final class InboxAppender implements Processor<String, RoutedSend, String, Emit> {
    private final Retention retention;
    private ProcessorContext<String, Emit> context;
    private Inboxes inboxes;
    /** Where the next retention walk resumes in this task's inboxes (null: from the first). */
    private String retentionResume;

    InboxAppender(Retention retention) {
        this.retention = retention;
    }

    @Override
    public void init(ProcessorContext<String, Emit> context) {
        this.context = context;
        this.inboxes = new Inboxes(context, retention);
        context.schedule(retention.checkInterval(), PunctuationType.WALL_CLOCK_TIME,
                now -> retentionResume = retention.run(now, retentionResume, inboxes, context));
    }

    @Override
    public void process(Record<String, RoutedSend> record) {
        String user = record.key();
        RoutedSend routed = record.value();
        if (user == null || routed == null) {
            return;
        }
        if (routed.send() != null) {
            inboxes.append(user, seq -> InboxEntry.of(seq, routed.send(), routed.own()), record, context);
        } else if (routed.notice() != null) {
            inboxes.append(user, seq -> routed.notice().withSeq(seq), record, context);
        }
    }
}
