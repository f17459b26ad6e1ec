package dev.pigeonhole.router;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;

/**
 * The periodic walk over a task's inboxes (a wall-clock punctuation): drops sessions whose delivery instance went
 * silent or restarted ({@link Leases}) and removes entries by age and by "every device acked it" ({@link Retention}).
 *
 * <p>Bounded twice, so a walk never runs into the transaction timeout (an aborted transaction would restore the
 * stores and run the same walk again, forever): at most {@code inboxesPerRun} inboxes and {@code maxPerRun} removals
 * each, and at most {@code budget} of time. The next walk resumes where this one stopped, so a walk costs the same
 * at any user count and a huge inbox is trimmed over several walks.
 */
final class Housekeeping {
    private final Retention retention;
    private final Leases leases;
    private final long budgetNanos;
    private final LongSupplier nanoClock;
    /** The first inbox of the next walk (null: from the first of the task). */
    private String resumeAt;

    Housekeeping(Retention retention, Leases leases, Duration budget, LongSupplier nanoClock) {
        this.retention = retention;
        this.leases = leases;
        this.budgetNanos = budget.toNanos();
        this.nanoClock = nanoClock;
    }

    /** @return whether the walk reached the end of the task's inboxes (the next one starts from the first) */
    boolean run(long now, Inboxes inboxes, Outputs out) {
        long deadline = nanoClock.getAsLong() + budgetNanos;
        List<KeyValue<String, InboxMeta>> batch = new ArrayList<>();
        String next = null;
        try (KeyValueIterator<String, InboxMeta> it = resumeAt == null ? inboxes.meta.all()
                : inboxes.meta.range(resumeAt, null)) {
            while (it.hasNext()) {
                KeyValue<String, InboxMeta> kv = it.next();
                if (batch.size() >= retention.inboxesPerRun()) {
                    next = kv.key;
                    break;
                }
                batch.add(kv);
            }
        }
        for (KeyValue<String, InboxMeta> kv : batch) {
            if (nanoClock.getAsLong() - deadline > 0) {
                resumeAt = kv.key; // out of time: this inbox first, next time
                return false;
            }
            InboxMeta m = kv.value.expireSessions(s -> leases.ended(s.instance(), s.announcedAt(), now));
            if (m.oldest() <= m.head()) {
                m = retention.trim(kv.key, m, now, false, retention.maxPerRun(), inboxes, out);
            }
            if (m != kv.value) {
                inboxes.meta.put(kv.key, m);
            }
        }
        resumeAt = next;
        return next == null;
    }
}
