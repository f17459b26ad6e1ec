package dev.pigeonhole.client.internal;

import dev.pigeonhole.client.spi.InboxRow;
import dev.pigeonhole.protocol.Frames;
import dev.pigeonhole.protocol.ServerFrame;

/** {@link InboxRow}s of received frames. */
public final class InboxRows {
    private InboxRows() {}

    /** A received entry frame, not yet stored. */
    public static InboxRow of(ServerFrame.Entry entry, long epoch) {
        String json = Frames.encode(entry);
        if (entry instanceof ServerFrame.Message m) {
            return new InboxRow(0, m.seq(), epoch, m.type(), m.from(), m.to(), m.own(), m.sentAt(), json);
        } else if (entry instanceof ServerFrame.Receipt r) {
            return new InboxRow(0, r.seq(), epoch, r.type(), r.by(), null, false, r.at(), json);
        } else if (entry instanceof ServerFrame.Undelivered u) {
            return new InboxRow(0, u.seq(), epoch, u.type(), u.recipient(), null, false, u.at(), json);
        } else if (entry instanceof ServerFrame.ShadowDelta d) {
            return new InboxRow(0, d.seq(), epoch, d.type(), null, null, false, d.at(), json);
        } else if (entry instanceof ServerFrame.ShadowDocuments d) {
            return new InboxRow(0, d.seq(), epoch, d.type(), d.by(), null, false, d.at(), json);
        }
        return new InboxRow(0, entry.seq(), epoch, entry.type(), null, null, false, 0, json);
    }

    /** A received gap frame, not yet stored: its seq is the last one it covers. */
    public static InboxRow of(ServerFrame.Gap gap, long epoch) {
        return new InboxRow(0, gap.to(), epoch, InboxRow.GAP, null, null, false, 0, Frames.encode(gap));
    }
}
