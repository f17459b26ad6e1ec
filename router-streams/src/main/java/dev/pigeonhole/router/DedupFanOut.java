package dev.pigeonhole.router;

import dev.pigeonhole.protocol.Ids;
import dev.pigeonhole.protocol.topics.SendEnvelope;
import java.time.Duration;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;
import org.jboss.logging.Logger;

/**
 * Runs on the sender's partition. Drops a send whose (sender device, client id) was seen within the retention
 * period (S2), then emits one copy per recipient inbox, re-keyed by recipient user: the addressed user and the
 * sender's own inbox (S9).
 */
final class DedupFanOut implements Processor<String, SendEnvelope, String, RoutedSend> {
    private static final Logger LOG = Logger.getLogger(DedupFanOut.class);

    private final Duration retention;
    private final RouterMetrics metrics;
    private ProcessorContext<String, RoutedSend> context;
    private WindowStore<String, Long> seen;

    DedupFanOut(Duration retention, RouterMetrics metrics) {
        this.retention = retention;
        this.metrics = metrics;
    }

    @Override
    public void init(ProcessorContext<String, RoutedSend> context) {
        this.context = context;
        this.seen = context.getStateStore(RouterTopology.DEDUP_STORE);
    }

    @Override
    public void process(Record<String, SendEnvelope> record) {
        SendEnvelope send = record.value();
        if (send == null) {
            return;
        }
        if (Ids.isGroup(send.to())) {
            // The gateway refuses group sends until groups exist; never guess members here.
            LOG.warnf("dropping group send %s from %s: groups are not supported yet", send.id(), send.from());
            return;
        }
        String key = send.from() + '/' + send.fromDevice() + '/' + send.id();
        long ts = record.timestamp();
        long window = retention.toMillis();
        try (WindowStoreIterator<Long> it = seen.fetch(key, Math.max(0, ts - window), ts + window)) {
            if (it.hasNext()) {
                metrics.duplicate();
                return;
            }
        }
        seen.put(key, ts, ts);
        if (!send.to().equals(send.from())) {
            context.forward(record.withKey(send.to()).withValue(new RoutedSend(send, false)));
        }
        context.forward(record.withKey(send.from()).withValue(new RoutedSend(send, true)));
    }
}
