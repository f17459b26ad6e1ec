package dev.pigeonhole.delivery;

import dev.pigeonhole.protocol.Identity;
import dev.pigeonhole.protocol.ServerFrame;
import java.time.Duration;

/**
 * Writes one stream's acks and read markers durably at most once per {@code interval}: they are cumulative, so only
 * the latest of each counts. The stream applies every ack at once (window, flow control); only the Kafka write
 * waits. This bounds what a client's acks cost the router — and the receipts they produce for senders — whatever
 * the client's ack rate. On close the latest is written at once. If the instance dies in between, the device's
 * cursor is up to one interval behind: it gets those entries again on its next connection (S4 is at least once
 * across connections; clients drop seqs they have).
 */
final class AckCoalescer implements DeviceStream.Acks {
    private final DeviceStream.Acks durable;
    private final DeviceStream.Scheduler scheduler;
    private final Duration interval;
    private Pending ack;
    private Pending read;
    private boolean scheduled;

    private record Pending(Identity identity, long seq, ServerFrame.Range skipped) {}

    AckCoalescer(DeviceStream.Acks durable, DeviceStream.Scheduler scheduler, Duration interval) {
        this.durable = durable;
        this.scheduler = scheduler;
        this.interval = interval;
    }

    @Override
    public void ack(Identity identity, long seq, boolean isRead, ServerFrame.Range skipped) {
        if (interval.isZero()) {
            durable.ack(identity, seq, isRead, skipped);
            return;
        }
        synchronized (this) {
            Pending p = new Pending(identity, seq, skipped);
            if (isRead) {
                read = read == null || seq > read.seq() ? p : read;
            } else {
                ack = ack == null || seq > ack.seq() ? p : ack;
            }
            if (scheduled) {
                return;
            }
            scheduled = true;
        }
        scheduler.schedule(this::flush, interval);
    }

    @Override
    public void flush() {
        Pending a;
        Pending r;
        synchronized (this) {
            a = ack;
            r = read;
            ack = null;
            read = null;
            scheduled = false;
        }
        if (a != null) {
            durable.ack(a.identity(), a.seq(), false, a.skipped());
        }
        if (r != null) {
            durable.ack(r.identity(), r.seq(), true, r.skipped());
        }
    }
}
