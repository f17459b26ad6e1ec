package dev.pigeonhole.records;

import dev.pigeonhole.protocol.ClientFrame;

/**
 * One operation on one user's inbox: a record of {@link Topics#INBOX_OPS}, keyed by that user. The router applies a
 * partition's operations in offset order, and nothing else changes an inbox, so every decision it takes — the seq an
 * entry gets, which socket of a device wins, where a new device starts — is a function of that ordered log alone: a
 * replay after a crash takes the same decisions.
 *
 * <p>Binary format ({@link RecordWriter}): format version, a type byte, the fields in declaration order. A record of
 * an unknown format or type, or one that cannot be read, is not skipped: the router moves it to
 * {@link Topics#DEAD_LETTERS} with the reason.
 */
public sealed interface InboxOp {

    /** Append an entry (a message copy for this user, or a notice) unless the inbox already has it (S2). */
    record Append(Entry entry) implements InboxOp {}

    /**
     * An inbox socket of {@code device} opened on delivery instance {@code instance}. {@code after} is the position
     * the socket asked for (null: resume from the device's cursor); it registers an unknown device. Of two sockets of
     * one device the one whose connect is later in the log wins (S7).
     */
    record Connect(String device, String instance, String connection, Long after) implements InboxOp {}

    /**
     * The socket is still open. Written by delivery builds before 0.3 (every socket every 5 minutes); still applied, so
     * their sessions keep living through a rolling upgrade. Newer instances renew all their sessions at once with a
     * {@link Lease}.
     */
    record Refresh(String device, String instance, String connection) implements InboxOp {}

    /**
     * Delivery instance {@code instance}, running since {@code since} (epoch ms, its own clock), is alive: every
     * session it announced since then lives on. Written without a key to every partition every {@code lease-interval}
     * (its sessions are on all of them); the only operation that is not about one user.
     */
    record Lease(String instance, long since) implements InboxOp {}

    /** The socket closed. */
    record Disconnect(String device, String connection) implements InboxOp {}

    /** The user removed the device: its cursor goes and a connected socket is closed. */
    record Remove(String device) implements InboxOp {}

    /**
     * A device's cumulative position: {@code ack} (it processed every entry up to {@code seq}) or {@code read} (the user
     * saw them). {@code skipFrom..skipTo} (0 when none) is the range the connection skipped (newest-first catch-up):
     * passed over, not delivered, so no receipts.
     */
    record Ack(String device, long seq, boolean read, long skipFrom, long skipTo) implements InboxOp {
        public Ack(String device, long seq) {
            this(device, seq, false, 0, 0);
        }

        public boolean skipped(long s) {
            return skipTo > 0 && s >= skipFrom && s <= skipTo;
        }
    }

    /**
     * A request on the shadow ({@code thing}, {@code name}) of this user from its device {@code device}, made over
     * connection or HTTP request {@code request} of delivery instance {@code instance}, which gets the answer as a
     * {@link Push.ShadowAnswer}. {@code op} is written as its ordinal (docs/shadow.md); {@code state} the update's
     * JSON ({@code {"desired":…,"reported":…}}), null otherwise. Reads go through the log too: a get sees every
     * update applied before it.
     */
    record Shadow(String device, String instance, String request, ClientFrame.ShadowOp op, String thing, String name,
                  String clientToken, Long version, byte[] state) implements InboxOp {}

    static byte[] encode(InboxOp op) {
        if (op instanceof Append a) {
            RecordWriter w = RecordWriter.record(1, 80 + a.entry().body().length);
            return w.nested(a.entry()::write).toByteArray();
        } else if (op instanceof Connect c) {
            return RecordWriter.record(2, 64).string(c.device()).string(c.instance()).string(c.connection())
                    .optLong(c.after()).toByteArray();
        } else if (op instanceof Refresh r) {
            return RecordWriter.record(3, 64).string(r.device()).string(r.instance()).string(r.connection())
                    .toByteArray();
        } else if (op instanceof Disconnect d) {
            return RecordWriter.record(4, 48).string(d.device()).string(d.connection()).toByteArray();
        } else if (op instanceof Remove r) {
            return RecordWriter.record(5, 24).string(r.device()).toByteArray();
        } else if (op instanceof Lease l) {
            return RecordWriter.record(7, 32).string(l.instance()).varLong(l.since()).toByteArray();
        } else if (op instanceof Shadow s) {
            return RecordWriter.record(8, 96 + (s.state() == null ? 0 : s.state().length)).string(s.device())
                    .string(s.instance()).string(s.request()).u8(s.op().ordinal()).string(s.thing()).string(s.name())
                    .string(s.clientToken()).optLong(s.version()).block(s.state()).toByteArray();
        } else {
            Ack a = (Ack) op;
            return RecordWriter.record(6, 32).string(a.device()).varLong(a.seq()).bool(a.read())
                    .varLong(a.skipFrom()).varLong(a.skipTo()).toByteArray();
        }
    }

    /** @throws RecordFormatException for anything this build cannot read */
    static InboxOp decode(byte[] bytes) {
        RecordReader r = RecordReader.record(bytes, "inbox operation");
        int type = r.u8();
        InboxOp op = switch (type) {
            case 1 -> new Append(Entry.read(r.nested()));
            case 2 -> new Connect(r.string(), r.string(), r.string(), r.optLong());
            case 3 -> new Refresh(r.string(), r.string(), r.string());
            case 4 -> new Disconnect(r.string(), r.string());
            case 5 -> new Remove(r.string());
            case 6 -> new Ack(r.string(), r.varLong(), r.bool(), r.varLong(), r.varLong());
            case 7 -> new Lease(r.string(), r.varLong());
            case 8 -> new Shadow(r.string(), r.string(), r.string(), shadowOp(r.u8()), r.string(), r.string(),
                    r.string(), r.optLong(), r.block());
            default -> throw new RecordFormatException("unknown inbox operation type " + type + " (written by a newer build?)");
        };
        if (op instanceof Lease l) {
            if (l.instance() == null) {
                throw new RecordFormatException("lease without an instance");
            }
        } else if (!(op instanceof Append) && device(op) == null) {
            throw new RecordFormatException("inbox operation without a device");
        }
        return op;
    }

    private static ClientFrame.ShadowOp shadowOp(int ordinal) {
        ClientFrame.ShadowOp[] ops = ClientFrame.ShadowOp.values();
        if (ordinal >= ops.length) {
            throw new RecordFormatException("unknown shadow operation " + ordinal + " (written by a newer build?)");
        }
        return ops[ordinal];
    }

    private static String device(InboxOp op) {
        if (op instanceof Connect c) {
            return c.instance() == null || c.connection() == null ? null : c.device();
        } else if (op instanceof Refresh r) {
            return r.instance() == null || r.connection() == null ? null : r.device();
        } else if (op instanceof Disconnect d) {
            return d.device();
        } else if (op instanceof Remove r) {
            return r.device();
        } else if (op instanceof Ack a) {
            return a.device();
        } else if (op instanceof Shadow s) {
            boolean valid = s.instance() != null && s.request() != null && s.thing() != null && s.name() != null
                    && (s.op() != ClientFrame.ShadowOp.UPDATE || s.state() != null);
            return valid ? s.device() : null;
        }
        return null;
    }
}
