package dev.pigeonhole.router;

import dev.pigeonhole.records.Entry;
import dev.pigeonhole.records.InboxOp;
import dev.pigeonhole.records.Push;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/** Where the inbox processor's output goes: its three sinks, named in {@link RouterTopology}. */
final class Outputs {
    static final String REASON_HEADER = "pigeonhole.reason";
    static final String SOURCE_HEADER = "pigeonhole.source";

    private final ProcessorContext<String, byte[]> context;
    private final RouterMetrics metrics;

    Outputs(ProcessorContext<String, byte[]> context, RouterMetrics metrics) {
        this.context = context;
        this.metrics = metrics;
    }

    /** A live notification for delivery instance {@code instance}. */
    void push(String instance, Push push, long timestamp) {
        context.forward(new Record<>(instance, Push.encode(push), timestamp), RouterTopology.PUSH_SINK);
    }

    /** A notice for another (or this) user's inbox: through the outbox, relayed to the inbox operations. */
    void notice(String user, Entry notice, long timestamp) {
        metrics.notice();
        context.forward(new Record<>(user, InboxOp.encode(new InboxOp.Append(notice)), timestamp),
                RouterTopology.OUTBOX_SINK);
    }

    /** A record this build cannot process: kept, with the reason, never dropped silently. */
    void deadLetter(Record<String, byte[]> record, String reason) {
        metrics.deadLetter();
        String source = context.recordMetadata()
                .map(m -> m.topic() + "-" + m.partition() + "@" + m.offset()).orElse("unknown");
        Record<String, byte[]> out = record.withHeaders(record.headers())
                .withTimestamp(record.timestamp());
        out.headers().add(REASON_HEADER, reason.getBytes(StandardCharsets.UTF_8));
        out.headers().add(SOURCE_HEADER, source.getBytes(StandardCharsets.UTF_8));
        context.forward(out, RouterTopology.DEAD_LETTER_SINK);
    }
}
