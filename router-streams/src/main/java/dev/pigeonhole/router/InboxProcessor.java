package dev.pigeonhole.router;

import dev.pigeonhole.protocol.Ids;
import dev.pigeonhole.records.InboxOp;
import dev.pigeonhole.records.RecordFormatException;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * The router's one processor: applies each inbox operation of its partition, in offset order, to the inbox of the
 * record's key. A record it cannot read goes to the dead letters with the reason; nothing is skipped silently.
 */
final class InboxProcessor implements Processor<String, byte[], String, byte[]> {
    private final RouterTopology.Settings settings;
    private final RouterMetrics metrics;
    private Outputs out;
    private Inboxes inboxes;
    private Sessions sessions;
    private Acks acks;
    private Shadows shadows;
    private Leases leases;
    private Housekeeping housekeeping;

    InboxProcessor(RouterTopology.Settings settings, RouterMetrics metrics) {
        this.settings = settings;
        this.metrics = metrics;
    }

    @Override
    public void init(ProcessorContext<String, byte[]> context) {
        this.out = new Outputs(context, metrics);
        this.inboxes = new Inboxes(context, settings.dedupRetention(), settings.retention(), metrics);
        this.shadows = new Shadows(context, inboxes, settings.shadowLimits(), metrics);
        this.sessions = new Sessions(inboxes, shadows, settings.maxDevicesPerUser(), metrics);
        this.acks = new Acks(inboxes);
        this.leases = new Leases(settings.sessionExpiry().toMillis(), context.currentSystemTimeMs());
        this.housekeeping = new Housekeeping(settings.retention(), leases, settings.housekeepingBudget(),
                settings.nanoClock());
        context.schedule(settings.retention().checkInterval(), PunctuationType.WALL_CLOCK_TIME,
                now -> housekeeping.run(now, inboxes, out));
    }

    @Override
    public void process(Record<String, byte[]> record) {
        InboxOp op;
        try {
            op = InboxOp.decode(record.value());
        } catch (RecordFormatException e) {
            out.deadLetter(record, e.getMessage());
            return;
        }
        long ts = record.timestamp();
        if (op instanceof InboxOp.Lease l) {
            leases.renew(l.instance(), l.since(), ts);
            return;
        }
        String user = record.key();
        if (user == null || !Ids.validName(user)) {
            out.deadLetter(record, "key is not a user id");
            return;
        }
        if (op instanceof InboxOp.Append a) {
            inboxes.append(user, a.entry(), ts, out);
        } else if (op instanceof InboxOp.Connect c) {
            sessions.connect(user, c, ts, out);
        } else if (op instanceof InboxOp.Refresh r) {
            sessions.refresh(user, r, ts, out);
        } else if (op instanceof InboxOp.Disconnect d) {
            sessions.disconnect(user, d);
        } else if (op instanceof InboxOp.Remove r) {
            sessions.remove(user, r, ts, out);
        } else if (op instanceof InboxOp.Ack a) {
            acks.apply(user, a, ts, out);
        } else if (op instanceof InboxOp.Shadow s) {
            shadows.apply(user, s, ts, out);
        }
    }
}
